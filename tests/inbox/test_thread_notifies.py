"""The thread and the inbox together: a message posted through the thread's service tells the other
side, in the same transaction; the message a return writes is announced once, as the return."""

import pytest
from django.db import transaction

from grants import conversation, workflow
from grants.models import Notification, NotificationKind

K = NotificationKind


def test_a_clerks_message_reaches_the_officers_and_rolls_back_with_it(app, officer, kalamata_user):
    with pytest.raises(RuntimeError), transaction.atomic():
        conversation.post_message(application=app, author=kalamata_user, body="Ερώτηση για το έργο;")
        assert Notification.objects.filter(recipient=officer, kind=K.MESSAGE).count() == 1
        raise RuntimeError("the request fails after the message")
    assert not Notification.objects.exists()

    conversation.post_message(application=app, author=kalamata_user, body="Ερώτηση για το έργο;")
    assert Notification.objects.filter(recipient=officer, kind=K.MESSAGE).count() == 1
    assert not Notification.objects.filter(recipient=kalamata_user).exists()


def test_an_officers_answer_reaches_the_municipality(app, officer, kalamata_user):
    conversation.post_message(application=app, author=officer, body="Απάντηση.")
    assert Notification.objects.filter(recipient=kalamata_user, kind=K.MESSAGE).count() == 1


def test_a_return_is_announced_once(app, officer, kalamata_user):
    workflow.transition(app, "submit", actor=kalamata_user, channel="portal")
    workflow.transition(app, "start_review", actor=officer)
    workflow.transition(app, "return", actor=officer, note="Λείπει η απόφαση")
    kinds = list(Notification.objects.filter(recipient=kalamata_user).values_list("kind", flat=True))
    assert kinds.count(K.RETURNED) == 1 and K.MESSAGE not in kinds
