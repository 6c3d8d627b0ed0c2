from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

login_view = auth_views.LoginView.as_view()


@login_required
def workspace(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html")
