"""What every page's navigation shows: how many meetings need an administrator."""

from .live import WAITING_FOR_A_PERSON
from .models import Meeting


def needs_attention():
    return Meeting.objects.filter(WAITING_FOR_A_PERSON).count()


def attention(request):
    """The count, lazily: one indexed COUNT, run only when a page draws the navigation."""
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("meetings.view_meeting"):
        return {}
    return {"needs_attention": needs_attention}
