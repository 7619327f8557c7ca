"""Chats of the simulated world: what a private chat, a group and a channel have in common.

A `Conversation` holds one chat's messages (ids count per chat, for both sides). `SimUser`
(world.py) is a private chat; `SimChat` is a group, supergroup or channel with members.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.sandbox.models import ChatMessage

if TYPE_CHECKING:
    from bot.sandbox.world import SimUser, World

CHAT_TYPES = ("group", "supergroup", "channel")
_KICKED = {
    "group": "bot was kicked from the group chat",
    "supergroup": "bot was kicked from the supergroup chat",
    "channel": "bot is not a member of the channel chat",
}
_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)


class Conversation:
    """One chat's messages as its members see them."""

    type = "private"

    def __init__(self, world: World, chat_id: int) -> None:
        self.world = world
        self.id = chat_id
        self.chat: dict[int, ChatMessage] = {}
        self._next_message_id = 1

    @property
    def chat_id(self) -> int:
        return self.id

    def as_chat(self) -> dict[str, Any]:
        raise NotImplementedError

    def refusal(self) -> str | None:
        """Why the bot may not write here (Telegram's 403 reason), or None."""
        return None

    def next_message_id(self) -> int:
        """Message ids increase per chat, for both sides, as in Telegram."""
        mid = self._next_message_id
        self._next_message_id += 1
        return mid

    def add(self, msg: ChatMessage) -> ChatMessage:
        msg.chat_id = self.id
        self.chat[msg.message_id] = msg
        return msg

    @property
    def messages(self) -> list[ChatMessage]:
        return [self.chat[mid] for mid in sorted(self.chat)]

    @property
    def bot_messages(self) -> list[ChatMessage]:
        return [m for m in self.messages if m.from_bot and not m.deleted]

    def last_bot_message(self, with_buttons: bool = False) -> ChatMessage | None:
        for msg in reversed(self.bot_messages):
            if not with_buttons or msg.buttons:
                return msg
        return None


class SimChat(Conversation):
    """A group, supergroup or channel the bot is in, with simulated members.

    Members write and tap here through `SimUser` methods with `chat=`; the bot's messages
    are kept per chat, so a test can assert what the bot said in the group.
    """

    def __init__(
        self,
        world: World,
        chat_id: int,
        kind: str,
        title: str,
        members: list[SimUser],
        *,
        username: str | None = None,
        bot_status: str = "member",
    ) -> None:
        if kind not in CHAT_TYPES:
            raise ValueError(f"chat type must be one of {CHAT_TYPES}")
        super().__init__(world, chat_id)
        self.type = kind
        self.title = title
        self.members = list(members)
        self.username = username
        self.bot_status = bot_status  # member | administrator | kicked | left

    def as_chat(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type, "title": self.title}
        if self.username:
            data["username"] = self.username
        return data

    def refusal(self) -> str | None:
        if self.bot_status in ("kicked", "left"):
            return _KICKED[self.type]
        return None

    @property
    def bot_is_admin(self) -> bool:
        return self.bot_status == "administrator"

    # --- what happens in the chat -------------------------------------------------------

    def post(self, text: str) -> int:
        """A channel post (update kind `channel_post`): no sender user, `sender_chat` is set."""
        if self.type != "channel":
            raise ValueError("only channels have posts; members write with user.send_text")
        msg = self.add(ChatMessage(self.next_message_id(), False, text, self.world.now()))
        payload = self.world.message_json(self, msg)
        self.world.record("channel_post", self.id, text=text, message_id=msg.message_id)
        return self.world.push_update("channel_post", payload)

    def add_member(self, user: SimUser, by: SimUser | None = None) -> int:
        """`user` joins: a `chat_member` update (delivered only if the bot asked for it)."""
        self.members.append(user)
        return self._member_update(user, by or user, "left", "member")

    def remove_member(self, user: SimUser, by: SimUser | None = None) -> int:
        if user in self.members:
            self.members.remove(user)
        return self._member_update(user, by or user, "member", "left")

    def remove_bot(self, by: SimUser) -> int:
        """`by` removes the bot: a `my_chat_member` update; later sends answer 403."""
        old = self.bot_status
        self.bot_status = "kicked"
        return self._push_member("my_chat_member", by, self.world.bot_user, old, "kicked")

    def add_bot(self, by: SimUser, *, admin: bool = False) -> int:
        old = self.bot_status
        self.bot_status = "administrator" if admin else "member"
        return self._push_member("my_chat_member", by, self.world.bot_user, old, self.bot_status)

    def _member_update(self, user: SimUser, by: SimUser, old: str, new: str) -> int:
        return self._push_member("chat_member", by, user.as_user(), old, new)

    def _push_member(
        self, kind: str, by: SimUser, member: dict[str, Any], old: str, new: str
    ) -> int:
        payload = member_update(self.as_chat(), by.as_user(), member, old, new, self.world)
        self.world.record(kind, by.id, chat_id=self.id, extra={"old": old, "new": new})
        return self.world.push_update(kind, payload)


def member_status(status: str, user: dict[str, Any]) -> dict[str, Any]:
    """A ChatMember object with every field the spec requires for its status."""
    data: dict[str, Any] = {"status": status, "user": user}
    if status == "kicked":
        data["until_date"] = 0
    elif status == "administrator":
        data.update(can_be_edited=False, is_anonymous=False)
        data.update(dict.fromkeys(_ADMIN_RIGHTS, True))
    return data


def member_update(
    chat: dict[str, Any],
    actor: dict[str, Any],
    member: dict[str, Any],
    old: str,
    new: str,
    world: World,
) -> dict[str, Any]:
    """A ChatMemberUpdated payload (for my_chat_member and chat_member updates)."""
    return {
        "chat": chat,
        "from": actor,
        "date": int(world.now().timestamp()),
        "old_chat_member": member_status(old, member),
        "new_chat_member": member_status(new, member),
    }
