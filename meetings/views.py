from django.shortcuts import render

from .models import Meeting


def meeting_list(request):
    meetings = Meeting.objects.all()[:50]
    return render(request, "meetings/list.html", {"meetings": meetings})
