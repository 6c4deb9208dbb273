"""The course's images: a real photograph, pictures the course draws, and the reader's own files.

Introduced in 02_convolution_dimensions. ``python -m course_utils.images`` writes
the drawn pictures to ``images/`` (the files the repository ships); ``load_image``
reads them from there, or draws them again when the folder is missing.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
from matplotlib import cbook
from PIL import Image, ImageDraw, UnidentifiedImageError

__all__ = ["load_image", "COURSE_IMAGES", "MAX_PIXELS", "IMAGES_DIR", "make_course_images"]

#: Where the repository keeps its images (present in a clone / editable install).
IMAGES_DIR = Path(__file__).resolve().parent.parent / "images"

#: Largest image ``load_image`` accepts, in pixels (a 6000 x 6000 photo is 36 million).
MAX_PIXELS = 40_000_000


def _grace_hopper() -> Image.Image:
    """Rear Admiral Grace Hopper, 512 wide x 600 high; ships with matplotlib, no download."""
    path = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    with Image.open(path) as image:
        return image.convert("RGB")


def _photo() -> Image.Image:
    """The Grace Hopper photograph cropped to a 512 x 512 square (face centred)."""
    return _grace_hopper().crop((0, 40, 512, 552))


def _shapes(size: int = 256) -> Image.Image:
    """Coloured geometric shapes on a soft diagonal gradient: edges of every orientation."""
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1)
    background = np.stack([0.85 - 0.25 * yy, 0.88 - 0.15 * xx, 0.80 + 0.1 * xx * yy], axis=-1)
    image = Image.fromarray((background * 255).round().astype(np.uint8))
    draw = ImageDraw.Draw(image)
    s = size / 256
    draw.ellipse([24 * s, 28 * s, 112 * s, 116 * s], fill=(214, 39, 40))
    draw.rectangle([140 * s, 30 * s, 228 * s, 96 * s], fill=(31, 119, 180))
    draw.polygon([(60 * s, 232 * s), (128 * s, 136 * s), (196 * s, 232 * s)], fill=(44, 160, 44))
    draw.line([(150 * s, 120 * s), (240 * s, 200 * s)], fill=(40, 40, 40), width=max(1, round(6 * s)))
    draw.rectangle([16 * s, 150 * s, 40 * s, 240 * s], fill=(255, 190, 30))
    return image


def _checkerboard(size: int = 128, square: int = 16) -> Image.Image:
    """Black and white squares of ``square`` pixels: sharp edges in both directions."""
    idx = np.arange(size) // square
    board = (idx[:, None] + idx[None, :]) % 2
    return Image.fromarray((board * 255).astype(np.uint8))


def _rings(size: int = 256) -> Image.Image:
    """Concentric rings whose spacing shrinks outwards (a zone plate): fine detail for sampling."""
    yy, xx = (np.mgrid[0:size, 0:size] - (size - 1) / 2) / size
    rings = 0.5 + 0.5 * np.cos(2 * np.pi * 40 * (xx**2 + yy**2))
    return Image.fromarray((rings * 255).round().astype(np.uint8))


def _letter_f(size: int = 16) -> Image.Image:
    """A 16 x 16 letter F: small enough to print every pixel, and not symmetric."""
    grid = np.zeros((size, size), dtype=np.uint8)
    grid[2:14, 4:7] = 255
    grid[2:5, 4:13] = 255
    grid[7:10, 4:11] = 255
    return Image.fromarray(grid)


#: Name -> (maker, description, saved under images/?)
COURSE_IMAGES: dict[str, tuple[Callable[[], Image.Image], str, bool]] = {
    "photo": (_photo, "Grace Hopper photograph, 512 x 512 RGB (from matplotlib's sample data)", False),
    "grace_hopper": (_grace_hopper, "Grace Hopper photograph, 512 wide x 600 high RGB", False),
    "shapes": (_shapes, "coloured shapes on a gradient, 256 x 256 RGB", True),
    "checkerboard": (_checkerboard, "16-pixel black and white squares, 128 x 128 grey", True),
    "rings": (_rings, "concentric rings getting finer outwards, 256 x 256 grey", True),
    "letter_f": (_letter_f, "a letter F, 16 x 16 grey", True),
}


def make_course_images(folder: Path | str = IMAGES_DIR) -> list[Path]:
    """Draw the course's own pictures and save them as PNG files in ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (maker, _, saved) in COURSE_IMAGES.items():
        if saved:
            path = folder / f"{name}.png"
            maker().save(path, optimize=True)
            written.append(path)
    return written


#: The first bytes of common image files, to tell a damaged image from a file of another kind.
_SIGNATURES = {b"\x89PNG": "PNG", b"\xff\xd8\xff": "JPEG", b"GIF8": "GIF", b"II*\x00": "TIFF",
               b"MM\x00*": "TIFF"}


def _to_8bit(image: Image.Image, what: str) -> Image.Image:
    """A 16-bit, 32-bit integer or float grey image ("I;16*", "I", "F") as an 8-bit "L" image.

    PIL's own ``convert("L")`` clips these at 255 (a 16-bit picture turns white), so they are
    scaled here: integers as 16-bit (0..65535 -> 0..255, i.e. round(v / 257); PIL also opens
    some 16-bit files, such as PGM, as "I"), floats as 0..1 (-> round(255 v)). Values outside
    those ranges have no clear meaning and are refused with a ``ValueError`` naming ``what``.
    """
    values = np.asarray(image)
    advice = ("Read it with np.asarray(Image.open(path)), scale it to [0, 1] yourself and pass "
              "the array to to_tensor")
    if not np.isfinite(values).all():
        raise ValueError(f"{what} is a float image (mode {image.mode!r}) with NaN or infinite "
                         f"values, which no pixel brightness can show. {advice}")
    low, high = values.min(), values.max()
    if values.dtype.kind == "f":
        if low < 0 or high > 1:
            raise ValueError(
                f"{what} is a float image (mode {image.mode!r}) with values from {low:g} to "
                f"{high:g}; only values in [0, 1] (0 black, 1 white) can be read. {advice}"
            )
        return Image.fromarray(np.rint(values.astype(np.float64) * 255).astype(np.uint8))
    if low < 0 or high > 65535:
        raise ValueError(
            f"{what} is a 32-bit integer image (mode {image.mode!r}) with values from {low} to "
            f"{high}; integer images are read as 16-bit (0 black, 65535 white). {advice}"
        )
    return Image.fromarray(((values.astype(np.uint32) + 128) // 257).astype(np.uint8))


def _damaged(path: Path, detail: str) -> ValueError:
    return ValueError(
        f"name_or_path {str(path)!r} is damaged or truncated ({detail}); "
        "download or export it again"
    )


def _open_file(path: Path) -> Image.Image:
    if not path.exists():
        names = ", ".join(repr(n) for n in COURSE_IMAGES)
        raise FileNotFoundError(
            f"name_or_path {str(path)!r} is neither a course image ({names}) nor an existing file"
        )
    if path.is_dir():
        raise ValueError(f"name_or_path {str(path)!r} is a folder; give the path of an image file")
    with path.open("rb") as file:  # a file we may not read fails here, with Python's own words
        start = file.read(8)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ValueError(
            f"name_or_path {str(path)!r} is too large to load safely; resize it below "
            f"{MAX_PIXELS // 1_000_000} megapixels first"
        ) from None
    except UnidentifiedImageError:
        kind = next((k for sig, k in _SIGNATURES.items() if start.startswith(sig)), None)
        if kind is not None:
            raise _damaged(path, f"it starts like a {kind} file but PIL cannot read it") from None
        raise ValueError(
            f"name_or_path {str(path)!r} is not an image file PIL can read (PNG, JPEG, BMP, ...)"
        ) from None
    except (OSError, SyntaxError, EOFError) as exc:  # PIL's words for a broken file
        raise _damaged(path, f"PIL stopped reading it: {exc}") from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        image.close()
        raise ValueError(
            f"name_or_path {str(path)!r} is {width} x {height} = {width * height / 1e6:.0f} megapixels; "
            f"load_image accepts up to {MAX_PIXELS // 1_000_000} megapixels. Resize it first"
        )
    with image:
        try:
            image.load()
        except (OSError, SyntaxError, EOFError) as exc:  # PIL's words for a broken data stream
            raise _damaged(path, f"PIL stopped reading it: {exc}") from None
        if image.mode in ("RGB", "L"):
            return image.copy()
        if image.mode.startswith("I") or image.mode == "F":
            return _to_8bit(image, f"name_or_path {str(path)!r}")
        return image.convert("RGBA" if "A" in image.mode or "transparency" in image.info else "RGB")


def load_image(name_or_path: str | Path) -> Image.Image:
    """Open a course image by name, or an image file of your own, as a PIL image.

    Introduced in 02_convolution_dimensions.

    Names: ``"photo"`` (the Grace Hopper photograph cropped to 512 x 512),
    ``"grace_hopper"`` (uncropped, 512 wide x 600 high), and the pictures the
    course draws: ``"shapes"``, ``"checkerboard"``, ``"rings"``, ``"letter_f"``.
    Anything else is read as a path. The result is "L" (grey), "RGB" or "RGBA"
    with 8 bits per value: 16-bit images are scaled (0..65535 -> 0..255), as are
    float images with values in [0, 1]. Missing files, files that are not images,
    damaged or truncated files, float or 32-bit images whose values cannot be read
    as brightness and images over ``MAX_PIXELS`` raise errors that say what went wrong.
    """
    if not isinstance(name_or_path, (str, Path)):
        raise TypeError(
            f"name_or_path must be a course image name or a file path, got {type(name_or_path).__name__}"
        )
    key = str(name_or_path)
    if key in COURSE_IMAGES:
        maker, _, saved = COURSE_IMAGES[key]
        stored = IMAGES_DIR / f"{key}.png"
        if saved and stored.exists():
            return _open_file(stored)
        return maker()
    return _open_file(Path(name_or_path).expanduser())


if __name__ == "__main__":
    for written_path in make_course_images():
        print(f"wrote {written_path}")
