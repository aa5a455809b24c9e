"""Long work in the workbench: start a background job (fetch studies in bulk, check for
retractions, re-fetch a study), follow its progress (the page polls with htmx until the job
ends), see its result or its error, and retry it when it failed."""

from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from kb.editor.forms import BulkFetchForm
from kb.editor.views import editor_required
from kb.partials import render_partial
from kb.tasks import TASKS
from studies import jobs
from studies import tasks as study_tasks
from studies.models import Job, Study

RECENT = 20


def _jobs_page(request, form: BulkFetchForm, *, status: int = 200) -> TemplateResponse:
    recent = Job.objects.select_related("created_by")[:RECENT]
    context = {"form": form, "jobs": recent}
    return TemplateResponse(request, "editor/jobs.html", context, status=status)


@require_safe
@editor_required
def job_list(request):
    """Recent jobs, and forms to start one."""
    return _jobs_page(request, BulkFetchForm())


@require_safe
@editor_required
def job_detail(request, pk):
    """One job: its progress while it runs (the htmx fragment polls), then its outcome."""
    job = get_object_or_404(Job, pk=pk)
    context = {"job": job, "next_url": _next_url(job)}
    return render_partial(request, "editor/job.html", context, partial="progress")


def _next_url(job: Job) -> str:
    """Where the work's outcome is to be seen, once it succeeded."""
    if job.status != Job.Status.SUCCEEDED:
        return ""
    if job.kind == Job.Kind.IMPORT_ARTICLE and job.result.get("source"):
        return f"{reverse('editor:queue')}?source={job.result['source']}"
    if job.kind == Job.Kind.WATCH:
        return reverse("editor:inbox")
    if job.kind == Job.Kind.REFETCH_STUDY:
        return reverse("study", args=[job.params["study"]])
    return ""


@require_POST
@editor_required
def start_bulk_fetch(request):
    """Fetch up to 500 PMIDs and DOIs in one background job."""
    form = BulkFetchForm(request.POST)
    if not form.is_valid():
        return _jobs_page(request, form, status=400)
    job = study_tasks.start_bulk_fetch(form.cleaned_data["identifiers"], user=request.user)
    return redirect("editor:job", pk=job.pk)


@require_POST
@editor_required
def start_retraction_check(request):
    """Re-fetch every study evidence uses, looking for retractions and corrections."""
    job = study_tasks.start_retraction_check(user=request.user)
    return redirect("editor:job", pk=job.pk)


@require_POST
@editor_required
def refetch_study(request, pk):
    """Fetch one study's record again from PubMed or Crossref."""
    study = get_object_or_404(Study, pk=pk)
    job = study_tasks.start_refetch(study, user=request.user)
    return redirect("editor:job", pk=job.pk)


@require_POST
@editor_required
def retry_job(request, pk):
    """Run a failed job again; it resumes after what the failed attempt stored."""
    job = get_object_or_404(Job, pk=pk)
    if job.status == Job.Status.FAILED:
        jobs.retry(TASKS[job.kind], job)
    return redirect("editor:job", pk=job.pk)
