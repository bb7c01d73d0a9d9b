"""Groups, group memberships and macros in the RulesTable; assignment's loads and cursors.

Memberships are one partition (kind ``group_membership``) read whole and filtered here: a desk has hundreds
of them, not millions. An agent's load is one count query on the tickets' sparse ``by_assignee`` index
(assigned tickets only) over the statuses new, open, pending and hold, which sort together between ``hold``
and ``pending``. Each group's round-robin cursor is an item of the DirectoryTable moved by compare-and-set.
"""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, PutError

from helpdesk.adapters.dynamo.models import DirectoryModel, RuleModel, TicketModel
from helpdesk.domain.assignment import OPEN_STATUSES
from helpdesk.domain.errors import NotFound
from helpdesk.domain.groups import Group, GroupMembership
from helpdesk.domain.macros import Macro
from helpdesk.ports import AssignmentState, GroupRepository, MacroRepository

GROUP, MEMBERSHIP, MACRO = "group", "group_membership", "macro"


def _next_id(kind: str) -> int:
    item = DirectoryModel(f"counter#{kind}")
    item.update(actions=[DirectoryModel.value.add(1)])
    return int(item.value or 0)


def _item(kind: str, item_id: int) -> RuleModel:
    try:
        return RuleModel.get(kind, item_id, consistent_read=True)
    except DoesNotExist as exc:
        raise NotFound(f"{kind.replace('_', ' ')} {item_id} does not exist") from exc


class DynamoGroupRepository(GroupRepository):
    def allocate_id(self, kind: str) -> int:
        return _next_id(kind)

    def groups(self) -> list[Group]:
        return sorted((Group.from_doc(item.doc) for item in RuleModel.query(GROUP)), key=lambda g: g.id)

    def get(self, group_id: int) -> Group:
        return Group.from_doc(_item(GROUP, group_id).doc)

    def put(self, group: Group) -> None:
        doc = {**group.to_api(), "assignment": group.assignment.to_api()}
        RuleModel(GROUP, group.id, doc=doc).save()

    def delete(self, group_id: int) -> None:
        with RuleModel.batch_write() as batch:
            for membership in self.memberships(group_id=group_id):
                batch.delete(RuleModel(MEMBERSHIP, membership.id))
        RuleModel(GROUP, group_id).delete()

    def memberships(self, group_id: int | None = None, user_id: int | None = None) -> list[GroupMembership]:
        found = (GroupMembership.from_doc(item.doc) for item in RuleModel.query(MEMBERSHIP))
        return sorted((m for m in found if group_id in (None, m.group_id) and user_id in (None, m.user_id)),
                      key=lambda m: m.id)

    def membership(self, membership_id: int) -> GroupMembership:
        return GroupMembership.from_doc(_item(MEMBERSHIP, membership_id).doc)

    def put_membership(self, membership: GroupMembership) -> None:
        RuleModel(MEMBERSHIP, membership.id, doc=membership.to_api()).save()

    def delete_membership(self, membership_id: int) -> None:
        RuleModel(MEMBERSHIP, membership_id).delete()


class DynamoAssignmentState(AssignmentState):
    def open_tickets(self, agent_id: int) -> int:
        first, last = min(OPEN_STATUSES), max(OPEN_STATUSES)
        return int(TicketModel.by_assignee.count(str(agent_id), TicketModel.status.between(first, last)))

    def last_assigned(self, group_id: int) -> int | None:
        try:
            item = DirectoryModel.get(f"cursor#group#{group_id}", consistent_read=True)
        except DoesNotExist:
            return None
        return int(item.value) if item.value is not None else None

    def move_cursor(self, group_id: int, previous: int | None, agent_id: int) -> bool:
        condition = DirectoryModel.pk.does_not_exist() if previous is None else DirectoryModel.value == previous
        try:
            DirectoryModel(f"cursor#group#{group_id}", value=agent_id).save(condition=condition)
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True


class DynamoMacroRepository(MacroRepository):
    def allocate_id(self) -> int:
        return _next_id(MACRO)

    def macros(self) -> list[Macro]:
        found = (Macro(**item.doc) for item in RuleModel.query(MACRO))
        return sorted(found, key=lambda m: (m.position, m.id))

    def get(self, macro_id: int) -> Macro:
        return Macro(**_item(MACRO, macro_id).doc)

    def put(self, macro: Macro) -> None:
        RuleModel(MACRO, macro.id, position=macro.position, doc=macro.to_doc()).save()

    def delete(self, macro_id: int) -> None:
        RuleModel(MACRO, macro_id).delete()
