from bot.telegram.notices import NoticeThrottle


def test_one_notice_per_chat_per_period() -> None:
    throttle = NoticeThrottle(every_seconds=600, max_chats=2)
    assert throttle.allow(-1, now=0)
    assert not throttle.allow(-1, now=599)
    assert throttle.allow(-2, now=10)
    assert throttle.allow(-1, now=600)


def test_memory_is_bounded_by_forgetting_the_oldest_chat() -> None:
    throttle = NoticeThrottle(every_seconds=600, max_chats=2)
    for chat in (-1, -2, -3):
        assert throttle.allow(chat, now=0)
    assert throttle.allow(-1, now=1)  # forgotten: noticed again
    assert not throttle.allow(-3, now=1)
