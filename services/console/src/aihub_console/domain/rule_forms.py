"""The forms of the selection rules' pages (challenges, decisions, bonus points) share one page
with others, so each form's fields carry its own prefix (`challenge.reason`,
`bonus-youth.reason`): ids stay unique and a refusal shows at the field of the form that was
sent. Pure."""

from __future__ import annotations

from aihub_console.domain.refusals import FormErrors


def prefixed(errors: FormErrors, prefix: str) -> FormErrors:
    """A refusal's field messages (`reason`) moved to the form's own fields
    (`<prefix>.reason`); the page message stays."""
    fields = {f"{prefix}.{name}": messages for name, messages in errors.fields.items()}
    return FormErrors(fields=fields, message=errors.message)


def form_field(form: dict[str, str], prefix: str, name: str) -> str:
    """The value the person typed in a prefixed form's field (empty if absent)."""
    return form.get(f"{prefix}.{name}", "").strip()
