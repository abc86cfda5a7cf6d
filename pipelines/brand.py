"""The MSP's brand for proposals: name, logo, colours, contact; one per data directory.

`breakeven brand --name "Bluewave IT" --logo logo.png --colour '#0055aa' --contact
"sales@bluewave.example, 020 7946 0000"` stores `brand.json` in the data directory and
copies the logo beside it under a generated name (`brand-logo-<hash>.<ext>`): the path the
user gave is never kept or read again. Proposals embed the logo as a data URI, so the
HTML stays one file that opens offline.

Decisions where the issue is silent:

* Logos are PNG, JPEG or SVG, told by their first bytes (not the file name), at most
  `MAX_LOGO_BYTES` (512 KB: a logo, not a photo). An SVG with scripts, event handlers,
  `javascript:` links or external references is refused: it is shown as an image, which
  runs none of them, but a proposal is a document to hand over, and must carry none.
* Colours are `#rgb` or `#rrggbb` (stored as `#rrggbb`); `colour` heads the page and the
  verdict, `accent` (default: a darker shade of it) the managed-cost lines and tables.
* Each `brand` call changes only the options it is given; `--clear` starts again.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from pipelines import workspace
from pipelines.errors import SettingError

BRAND_FILE = "brand.json"
MAX_LOGO_BYTES = 512 * 1024
DEFAULT_COLOUR = "#0072b2"
_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_SVG_DANGER = re.compile(
    r"<\s*script|\bon[a-z]+\s*=|javascript:|<\s*foreignObject|<!ENTITY"
    r"|(?:href|src)\s*=\s*[\"']\s*(?:https?:|//|file:)", re.IGNORECASE)
MIME = {"png": "image/png", "jpg": "image/jpeg", "svg": "image/svg+xml"}


@dataclass(frozen=True)
class Brand:
    """The MSP's name, logo file (in the data directory), colours and contact line."""

    name: str = ""
    logo: str = ""  # file name in the data directory, or ""
    colour: str = DEFAULT_COLOUR
    accent: str = ""
    contact: str = ""

    @property
    def accent_colour(self) -> str:
        return self.accent or darker(self.colour)


def brand_path(data_dir: str | Path | None) -> Path:
    return workspace.resolve_data_dir(data_dir) / BRAND_FILE


def load_brand(data_dir: str | Path | None) -> Brand:
    """The data directory's brand, or an empty one (breakeven's own look)."""
    path = brand_path(data_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Brand()
    except (OSError, ValueError) as exc:
        raise SettingError(f"{path}: the brand file cannot be read ({exc}); set it again with"
                           " breakeven brand --clear --name ...") from None
    known = {k: str(v) for k, v in data.items() if k in Brand.__dataclass_fields__}
    return Brand(**known)


def colour(value: str, option: str = "--colour") -> str:
    """`#rgb` or `#rrggbb` as `#rrggbb`, lowercase."""
    v = value.strip()
    if not _COLOUR.fullmatch(v):
        raise SettingError(f"{option} {value!r}: write a colour as #rrggbb, for example #0055aa")
    if len(v) == 4:
        v = "#" + "".join(ch * 2 for ch in v[1:])
    return v.lower()


def darker(hex_colour: str, factor: float = 0.7) -> str:
    """The colour with each channel scaled by `factor`."""
    rgb = [int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c * factor):02x}" for c in rgb)


def logo_kind(data: bytes, name: str = "logo") -> str:
    """'png', 'jpg' or 'svg' from the file's first bytes; anything else is refused."""
    if len(data) > MAX_LOGO_BYTES:
        raise SettingError(f"{name}: the logo is {len(data) / 1024:,.0f} KB; use one of at most"
                           f" {MAX_LOGO_BYTES // 1024} KB (export it smaller, or as SVG)")
    if not data:
        raise SettingError(f"{name}: the logo file is empty")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    head = data[:2048].decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if re.match(r"(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*(?:<!DOCTYPE svg[^>]*>\s*)?<svg[\s>]",
                head, re.DOTALL):
        text = data.decode("utf-8", errors="replace")
        if _SVG_DANGER.search(text):
            raise SettingError(f"{name}: the SVG logo holds scripts, event handlers or external"
                               " links; export a plain SVG (or a PNG)")
        return "svg"
    raise SettingError(f"{name}: not a PNG, JPEG or SVG image; export the logo as one of those")


def logo_data_uri(brand: Brand, data_dir: str | Path | None) -> str | None:
    """The brand's logo as a `data:` URI, checked again as it is read; None without one."""
    if not brand.logo:
        return None
    path = workspace.resolve_data_dir(data_dir) / Path(brand.logo).name
    try:
        data = path.read_bytes()
    except OSError:
        raise SettingError(f"the brand's logo {path} is missing; set it again with"
                           " breakeven brand --logo FILE") from None
    kind = logo_kind(data, str(path))
    return f"data:{MIME[kind]};base64,{base64.b64encode(data).decode('ascii')}"


def set_brand(data_dir: str | Path | None, *, name: str | None = None,
              logo: str | Path | None = None, colour_value: str | None = None,
              accent: str | None = None, contact: str | None = None,
              clear: bool = False) -> Brand:
    """Change the brand's given options (all of them after `clear`), store it, return it."""
    root = workspace.resolve_data_dir(data_dir)
    current = Brand() if clear else load_brand(root)
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = _line(name, "--name", 80)
    if contact is not None:
        changes["contact"] = _line(contact, "--contact", 200)
    if colour_value is not None:
        changes["colour"] = colour(colour_value)
    if accent is not None:
        changes["accent"] = colour(accent, "--accent") if accent.strip() else ""
    root.mkdir(parents=True, exist_ok=True)
    old_logo = current.logo
    if logo is not None:
        changes["logo"] = _copy_logo(root, Path(logo)) if str(logo).strip() else ""
    updated = replace(current, **changes)
    _write_json(root / BRAND_FILE, asdict(updated))
    if old_logo and old_logo != updated.logo or (clear and old_logo and not updated.logo):
        (root / Path(old_logo).name).unlink(missing_ok=True)
    return updated


def _line(value: str, option: str, limit: int) -> str:
    text = " ".join(value.split())
    if len(text) > limit:
        raise SettingError(f"{option}: at most {limit} characters, not {len(text)}")
    return text


def _copy_logo(root: Path, source: Path) -> str:
    try:
        data = source.read_bytes()
    except FileNotFoundError:
        raise SettingError(f"--logo {source}: file not found") from None
    except OSError as exc:
        raise SettingError(f"--logo {source}: cannot read it ({exc.strerror})") from None
    kind = logo_kind(data, str(source))
    name = f"brand-logo-{hashlib.sha256(data).hexdigest()[:12]}.{kind}"
    target = root / name
    if not target.exists():
        tmp = root / f".{name}.{secrets.token_hex(4)}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, target)
    return name


def _write_json(path: Path, value: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    tmp.write_text(json.dumps(value, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
