"""Use cases of customer groups: create, list, rename, delete (price lists key on the code)."""

from __future__ import annotations

from orders.domain.customer import CustomerGroup
from orders.domain.errors import Conflicting, InvalidOrder
from orders.service_layer.events import utcnow
from orders.service_layer.unit_of_work import UnitOfWork


class GroupNotFound(LookupError):
    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"no customer group {code}")


async def create_group(
    uow: UnitOfWork, code: str, name: str, description: str | None
) -> CustomerGroup:
    group = CustomerGroup(code=code, name=name, description=description, created_at=utcnow())
    if not await uow.customer_groups.add(group):
        raise Conflicting(f"a customer group with the code {code!r} exists already")
    return group


async def get_group(uow: UnitOfWork, code: str, *, for_update: bool = False) -> CustomerGroup:
    group = await uow.customer_groups.get(code, for_update=for_update)
    if group is None:
        raise GroupNotFound(code)
    return group


async def list_groups(uow: UnitOfWork) -> list[CustomerGroup]:
    return await uow.customer_groups.all()


async def change_group(
    uow: UnitOfWork, code: str, name: str | None, description: str | None, *, clear: bool
) -> CustomerGroup:
    """Rename it or change its description (`clear`: the description given replaces it even
    when None). The code never changes: price lists key on it."""
    group = await get_group(uow, code, for_update=True)
    changed = CustomerGroup(
        code=group.code,
        name=name or group.name,
        description=description if clear or description is not None else group.description,
        created_at=group.created_at,
    )
    await uow.customer_groups.save(changed)
    return changed


async def delete_group(uow: UnitOfWork, code: str) -> None:
    """Delete a group no customer is in (409 otherwise: move them first)."""
    await get_group(uow, code, for_update=True)
    if await uow.customer_groups.in_use(code):
        raise Conflicting(f"customers are in the group {code!r}: move them to another first")
    await uow.customer_groups.delete(code)


async def require_group(uow: UnitOfWork, code: str | None, *, field: str = "group") -> None:
    """A customer may be put in a group that exists (422 naming `field` otherwise)."""
    if code is not None and await uow.customer_groups.get(code) is None:
        raise InvalidOrder(field, "no customer group has this code")
