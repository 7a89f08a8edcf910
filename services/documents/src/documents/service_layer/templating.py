"""Document templates: administer them, and pick the one a document is printed in."""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace

from documents.domain.templates import LetterheadImage, Look, Template
from documents.service_layer.unit_of_work import TemplateRepository, UnitOfWork

log = logging.getLogger(__name__)


class TemplateNotFound(LookupError):
    pass


class TemplateConflict(Exception):
    """The change is not possible in the template's current state (e.g. deleting the default)."""


class Keep:
    """Marker: keep the template's current letterhead image."""


KEEP = Keep()


async def _named(templates: TemplateRepository, name: str, but: uuid.UUID | None) -> None:
    other = await templates.get_by_name(name)
    if other is not None and other.id != but:
        raise TemplateConflict(f"a template named {name!r} already exists")


async def create_template(uow: UnitOfWork, name: str, look: Look) -> Template:
    await _named(uow.templates, name, None)
    template = Template(id=uuid.uuid4(), name=name, look=look)
    await uow.templates.add(template)
    log.info("template %s (%s) created", template.id, name)
    return template


async def update_template(
    uow: UnitOfWork,
    template_id: uuid.UUID,
    name: str,
    look: Look,
    letterhead: LetterheadImage | Keep | None = KEEP,
) -> Template:
    """Replace the template's name and look; its image is kept unless another one is given."""
    template = await get_template(uow, template_id, for_update=True)
    await _named(uow.templates, name, template.id)
    image = template.look.letterhead if isinstance(letterhead, Keep) else letterhead
    template.name = name
    template.look = replace(look, letterhead=image)
    await uow.templates.update(template)
    log.info("template %s (%s) updated", template.id, name)
    return template


async def delete_template(uow: UnitOfWork, template_id: uuid.UUID) -> Template:
    template = await get_template(uow, template_id, for_update=True)
    if template.is_default:
        raise TemplateConflict(
            f"template {template_id} is the default template: make another one the default first"
        )
    await uow.templates.delete(template_id)
    log.info("template %s (%s) deleted", template.id, template.name)
    return template


async def make_default(uow: UnitOfWork, template_id: uuid.UUID) -> Template:
    """Make the template the default one (the previous default stops being it)."""
    template = await get_template(uow, template_id, for_update=True)
    if not template.is_default:
        await uow.templates.clear_default()
        template.is_default = True
        await uow.templates.update(template)
        log.info("template %s (%s) is now the default", template.id, template.name)
    return template


async def get_template(
    uow: UnitOfWork, template_id: uuid.UUID, *, for_update: bool = False
) -> Template:
    template = await uow.templates.get(template_id, for_update=for_update)
    if template is None:
        raise TemplateNotFound(f"template {template_id} does not exist")
    return template


async def resolve_look(uow: UnitOfWork, template_id: str | None) -> Look | None:
    """The look of the template an order or quote asks for.

    No template asked for: None, the built-in look. An unknown (or malformed) id: the default
    template, with a warning; the built-in look when there is no default template either.
    """
    if template_id is None:
        return None
    try:
        wanted = uuid.UUID(template_id)
    except ValueError:
        template = None
    else:
        template = await uow.templates.get(wanted)
    if template is not None:
        return template.look
    default = await uow.templates.get_default()
    log.warning(
        "template %r does not exist: printing with %s",
        template_id,
        f"the default template {default.id}" if default else "the built-in look",
    )
    return default.look if default else None
