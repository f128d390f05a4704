"""Photos as the system keeps them: checked for their pixel count before anything is decoded (a 280 KB PNG can
hold 9400 × 9400 pixels and take a document writer 17 s), turned upright, stripped of their metadata (a phone's
GPS position among it) and downscaled once, at upload, to what a page and a filed record need."""
import io
import warnings

from PIL import Image, ImageOps

MAX_PIXELS = 40_000_000  # 40 megapixels: more than any phone's photo
UPLOAD_PIXELS = 120_000_000  # one upload's photos together: nine 12-megapixel phone photos, and a little more
LONG_SIDE = 1600  # what the records print and a photo opened on its own shows
SMALL_SIDE = 480  # a page's thumbnail: two or three to a phone's row, sharp on its screen
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Pillow's own guard (it refuses at twice this): never decode a bomb by accident anywhere in the process.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class BadImage(ValueError):
    """A file that is not a photo the system keeps, with the reason in Chinese."""


def too_large(image: Image.Image) -> bool:
    """Whether the image has more pixels than any photo should (read from its header: nothing decoded yet)."""
    width, height = image.size
    return width * height > MAX_PIXELS


def cost(data: bytes) -> int:
    """What decoding the photo costs, in pixels, read from its header (nothing decoded): its pixels, four times
    over for 16 bits a channel, twice for an alpha channel (a 16-bit RGBA PNG of 6300 × 6300 took a worker 1.6 s
    to decode). Compared with MAX_PIXELS for one photo and UPLOAD_PIXELS for one upload; 0 when unreadable (the
    photo is then refused by `normalise`)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                return _cost(image, data)
    except Exception:  # a bomb or not an image: normalise() says which
        return 0


def _cost(image: Image.Image, data: bytes) -> int:
    """`cost` of an image already opened (its header read) from these bytes."""
    width, height = image.size
    mode = image.mode
    weight = 1
    if data.startswith(PNG_SIGNATURE) and len(data) > 24 and data[24] == 16:  # IHDR's bit depth
        weight *= 4
    if mode in ("I;16", "I;16B", "I", "F"):
        weight *= 4
    if "A" in mode or mode == "P":
        weight *= 2
    return width * height * weight


def _on_white(image: Image.Image) -> Image.Image:
    """The image as RGB for a JPEG, its transparency over white, as it prints."""
    if image.mode not in ("RGBA", "LA", "P"):
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, "white")
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def normalise(data: bytes) -> tuple[bytes, str, str]:
    """(bytes, content type, extension) of the photo as kept: upright, without metadata, at most LONG_SIDE pixels
    on its long side; a PNG stays PNG (screenshots, scanned forms: lossless), anything else becomes JPEG. BadImage
    when it cannot or should not be read."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # counted below, in words
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise BadImage("像素过多，请上传 4000 万像素以内的照片") from None
    except Exception:
        raise BadImage("无法识别为图片") from None
    with image:
        if too_large(image) or _cost(image, data) > MAX_PIXELS:
            width, height = image.size
            raise BadImage(f"像素过多（{width}×{height}），请上传 4000 万像素以内的照片")
        try:
            image.seek(0)  # an animation keeps its first frame
            if image.format == "JPEG":
                image.draft("RGB", (LONG_SIDE, LONG_SIDE))  # decoded at 1/2, 1/4 or 1/8 of its size: far less work
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail((LONG_SIDE, LONG_SIDE))
            # Nothing of the original's text travels: a JPEG comment block would be written again from info.
            for key in ("comment", "exif", "xmp", "photoshop"):
                upright.info.pop(key, None)
            out = io.BytesIO()
            if image.format == "PNG":
                upright.save(out, format="PNG", optimize=True)
                return out.getvalue(), "image/png", "png"
            _on_white(upright).save(out, format="JPEG", quality=85, optimize=True)
            return out.getvalue(), "image/jpeg", "jpg"
        except BadImage:
            raise
        except Exception:
            raise BadImage("图片已损坏，无法读取") from None


def small(data: bytes) -> bytes | None:
    """A kept photo (already upright and without metadata) as a JPEG of at most SMALL_SIDE pixels on its long side,
    for a page's thumbnails (a tenth of the bytes of the photo itself); None when it cannot be read."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format == "JPEG":
                image.draft("RGB", (SMALL_SIDE, SMALL_SIDE))
            image.thumbnail((SMALL_SIDE, SMALL_SIDE))
            out = io.BytesIO()
            _on_white(image).save(out, format="JPEG", quality=80, optimize=True)
            return out.getvalue()
    except Exception:  # a kept file that no longer reads: the page falls back to the photo itself
        return None
