"""The live page and the live server use the runtime's own event names (runtime/event_types.py):
a renamed or new event type cannot leave the page silently deaf to it."""

import re
from importlib import resources

from cleftedge.runtime import event_types
from cleftedge.runtime.live.hub import Hub

# every type that changes what the page shows
PICTURE = {event_types.SNAPSHOT, event_types.SESSION_START, event_types.HEARTBEAT, event_types.SCORE,
           event_types.STATE, event_types.ALERT_RAISED, event_types.ALERT_CLEARED, event_types.SESSION_END}


def page_names() -> set[str]:
    page = resources.files("cleftedge.runtime").joinpath("web/live.html").read_text()
    script = page[page.index("<script>"):]
    return set(re.findall(r'case "(\w+)"', script)) | set(re.findall(r'\.type === "(\w+)"', script))


def test_every_event_name_on_the_page_is_a_runtime_event_type():
    names = page_names()
    assert names, "the page's event switch was not found"
    unknown = names - set(event_types.EVENT_TYPES)
    assert not unknown, f"names the runtime never sends: {sorted(unknown)}"
    assert PICTURE <= names, f"event types the page does not handle: {sorted(PICTURE - names)}"


def test_the_snapshot_carries_its_named_fields():
    snap = Hub().snapshot()
    assert snap["type"] == event_types.SNAPSHOT
    assert set(snap) == {"type", "t", "session", *event_types.SNAPSHOT_FIELDS}
