"""The Ice contract (`slice/wostream.ice`), compiled in-process by Ice's own slice2py front end.

Loading at import time keeps generated code out of the repository (it is never edited by hand) and means the
package works from any checkout without a build step. `Glacier2` must be imported before `loadSlice`, or the
partially generated `Glacier2` module shadows the real one (docs/architecture.md).
"""

from __future__ import annotations

from importlib.resources import files

import Glacier2  # noqa: F401  (must precede loadSlice)
import Ice

SLICE_FILE = (
    files("wostream.ice") / "wostream.ice"
)  # a copy of slice/wostream.ice, installed with the package

Ice.loadSlice(f"-I{Ice.getSliceDir()} {SLICE_FILE}")

from wostream_ice import wostream as wostream_ice  # noqa: E402  (generated above)

PushRefused = wostream_ice.PushRefused
BatchRefused = wostream_ice.BatchRefused
BatchSubscriber = wostream_ice.BatchSubscriber
BatchSubscriberPrx = wostream_ice.BatchSubscriberPrx
SubscribeRefused = wostream_ice.SubscribeRefused
Subscriber = wostream_ice.Subscriber
SubscriberPrx = wostream_ice.SubscriberPrx
SubscriberSession = wostream_ice.SubscriberSession
SubscriberSessionPrx = wostream_ice.SubscriberSessionPrx
SubscriberStatus = wostream_ice.SubscriberStatus
ResyncRefused = wostream_ice.ResyncRefused
