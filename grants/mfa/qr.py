"""The enrolment QR code, drawn on the server as inline SVG: no image request, no script and no
third-party service ever sees the secret it carries."""

import xml.etree.ElementTree as ET

import qrcode
import qrcode.image.svg
from django.utils.safestring import mark_safe

SVG_NS = "http://www.w3.org/2000/svg"


def qr_svg(data: str, *, label: str, size_px: int = 220) -> str:
    """`data` as an SVG QR code sized `size_px`, announced to screen readers as `label`."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathFillImage, border=4)
    ET.register_namespace("", SVG_NS)
    root = ET.fromstring(image.to_string(encoding="unicode"))
    root.set("width", str(size_px))
    root.set("height", str(size_px))
    root.set("role", "img")
    root.set("aria-label", label)
    root.set("class", "qr-code")
    # ET escapes the label; the rest is the library's own markup of paths and rectangles.
    return mark_safe(ET.tostring(root, encoding="unicode"))
