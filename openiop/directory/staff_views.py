"""Staff pages of the program finder: the program's listing, its wait time,
testimonial moderation, naming oneself in the listing."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from openiop.access.scope import can
from openiop.core.decorators import login_only, requires
from openiop.core.errors import ApplicationError
from openiop.core.forms import apply_errors
from openiop.directory import selectors, services
from openiop.directory.forms import (
    DirectoryNameForm,
    ProfileForm,
    WaitTimeForm,
)
from openiop.directory.models import Facility, Testimonial, TestimonialStatus


@requires("directory.wait_time")
def manage(request):
    """The programs' listings; intake coordinators see them to keep the wait
    time current, directors and administrators edit them."""
    programs = list(
        selectors.manageable_programs(request.user, "wait_time").select_related("directory_profile")
    )
    pending = {}
    for t in Testimonial.objects.visible_to(request.user, "moderate").filter(
        status=TestimonialStatus.PENDING
    ):
        pending[t.facility_id] = pending.get(t.facility_id, 0) + 1
    facilities = {
        f.program_id: f
        for f in Facility.objects.filter(program__in=programs).only(
            "id", "uuid", "program_id", "is_active"
        )
    }
    rows = []
    for p in programs:
        profile = services.profile_for(p)
        f = facilities.get(p.pk)
        rows.append(
            {
                "program": p,
                "profile": profile,
                "facility": f,
                "pending": pending.get(f.pk, 0) if f else 0,
                "wait": selectors.wait_text(profile if profile.pk else None),
                "can_edit": can(
                    request.user,
                    "directory.manage",
                    organization_id=p.organization_id,
                    program_id=p.pk,
                ),
            }
        )
    return render(
        request,
        "directory/manage.html",
        {"rows": rows, "can_moderate": can(request.user, "directory.moderate")},
    )


def _program_for(request, program_uuid, action):
    program = selectors.manageable_programs(request.user, action).filter(uuid=program_uuid).first()
    if program is None:
        raise Http404("No such program, or not one you may change.")
    return program


@requires("directory.manage")
def profile_edit(request, program_uuid):
    program = _program_for(request, program_uuid, "manage")
    profile = services.profile_for(program)
    initial = {f: getattr(profile, f) for f in services.PROFILE_FIELDS}
    form = ProfileForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_update(actor=request.user, program=program, **form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                "Listing saved: the program is on the public finder."
                if form.cleaned_data["listed"]
                else "Listing saved. The program is not shown on the public finder.",
            )
            return redirect("directory:manage")
    return render(
        request,
        "directory/profile_form.html",
        {"form": form, "program": program, "tracks": list(program.tracks.filter(is_active=True))},
    )


@requires("directory.wait_time")
def wait_time(request, program_uuid):
    program = _program_for(request, program_uuid, "wait_time")
    profile = services.profile_for(program)
    form = WaitTimeForm(
        request.POST if request.method == "POST" else None, initial={"wait_days": profile.wait_days}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.wait_time_update(
                actor=request.user, program=program, wait_days=form.cleaned_data["wait_days"]
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Wait time of {program.name} updated.")
            return redirect("directory:manage")
    return render(
        request,
        "directory/wait_time.html",
        {
            "form": form,
            "program": program,
            "wait": selectors.wait_text(profile if profile.pk else None),
        },
    )


@requires("directory.moderate")
def testimonials(request):
    return render(
        request,
        "directory/moderate.html",
        {"testimonials": list(selectors.moderation_queue(request.user)[:200])},
    )


@requires("directory.moderate")
@require_POST
def testimonial_moderate(request, testimonial_uuid):
    found = (
        Testimonial.objects.visible_to(request.user, "moderate")
        .select_related("facility__program")
        .filter(uuid=testimonial_uuid)
        .first()
    )
    if found is None:
        raise Http404("No such testimonial, or not one you may moderate.")
    action = request.POST.get("action")
    if action not in ("publish", "reject"):
        messages.error(request, "Choose publish or reject.")
        return redirect("directory:testimonials")
    try:
        services.testimonial_moderate(
            actor=request.user, testimonial=found, publish=action == "publish"
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Testimonial by {found.author_name} "
            + ("published." if action == "publish" else "rejected; it will not be shown."),
        )
    return redirect("directory:testimonials")


@login_only
def my_listing(request):
    form = DirectoryNameForm(
        request.POST if request.method == "POST" else None,
        initial={"show_name_in_directory": request.user.show_name_in_directory},
    )
    if request.method == "POST" and form.is_valid():
        services.directory_name_set(
            actor=request.user, show=form.cleaned_data["show_name_in_directory"]
        )
        messages.success(request, "Saved.")
        return redirect("directory:my_listing")
    return render(request, "directory/my_listing.html", {"form": form})
