"""QR codes: make the verification-link QR for a certificate, and read one back from a photo or scan.

Reading treats the image as hostile: its byte size and pixel count are bounded before the pixels are decoded
(Pillow's own decompression-bomb guard is turned into a plain error), and only QR codes are looked for.
"""

from __future__ import annotations

import io
import warnings

from mosaics_match.limits import LIMITS
from mosaics_match.links import VerifyLink, parse_verify_link

__all__ = ["MAX_IMAGE_BYTES", "MAX_PIXELS", "QrError", "make_qr_png", "read_qr_text", "read_verify_link"]

MAX_IMAGE_BYTES = LIMITS.qr_photo_bytes
MAX_PIXELS = LIMITS.qr_photo_pixels
DECODE_EDGE = 2000  # photos are scaled down to this long edge before decoding (QR codes survive it)


class QrError(ValueError):
    """The image cannot be read or holds no usable QR code; ``str(exc)`` is a plain-language message."""


def _open_image(data: bytes):
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_IMAGE_BYTES:
        raise QrError(f"The image is larger than {MAX_IMAGE_BYTES // 1_000_000} MB; take a smaller photo.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            width, height = img.size
            if width * height > MAX_PIXELS:
                raise QrError("The image has too many pixels to read safely; take a smaller photo.")
            img.draft("L", (DECODE_EDGE, DECODE_EDGE))  # JPEG: decode at reduced size (cheap)
            img.load()
    except QrError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise QrError("The image has too many pixels to read safely; take a smaller photo.") from None
    except UnidentifiedImageError:
        raise QrError("This file is not an image we can read (use a PNG or JPEG photo of the QR code).") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise QrError(f"The image is damaged and cannot be read ({exc.__class__.__name__}).") from None
    img = img.convert("L")
    if max(img.size) > DECODE_EDGE:
        img.thumbnail((DECODE_EDGE, DECODE_EDGE))
    return img


def read_qr_text(data: bytes) -> str:
    """Decode the (single) QR code in an image.

    Parameters
    ----------
    data : bytes
        PNG, JPEG or another image format Pillow reads.

    Returns
    -------
    str
        The QR code's text.

    Raises
    ------
    QrError
        When the image is unreadable, too large, or holds no QR code.
    """
    import zxingcpp

    img = _open_image(data)
    results = [r for r in zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode) if r.valid and r.text]
    if not results:
        raise QrError("No QR code was found in the image. Make sure the whole code is in the picture, sharp and "
                      "well lit.")
    texts = {r.text for r in results}
    if len(texts) > 1:
        raise QrError("The image holds more than one QR code; photograph only the certificate's code.")
    return results[0].text.strip()


def read_verify_link(data: bytes) -> VerifyLink:
    """Decode the QR code in an image and read the verification link in it
    (:func:`mosaics_match.links.parse_verify_link`)."""
    return parse_verify_link(read_qr_text(data))


def make_qr_png(text: str, *, box_size: int = 8, border: int = 4) -> bytes:
    """A PNG of a QR code holding ``text`` (for certificates and the report).

    Parameters
    ----------
    text : str
        Usually the verification link of a credential.
    box_size, border : int
        Pixels per module and quiet-zone width in modules.
    """
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=border)
    code.add_data(text)
    code.make(fit=True)
    img = code.make_image(fill_color="black", back_color="white")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
