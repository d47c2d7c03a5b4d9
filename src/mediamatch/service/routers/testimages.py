"""``GET /v1/test-images``: the benign images that hit the built-in Test bank."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from mediamatch.engine.testbank import TEST_IMAGE_SEEDS, sample_image_png
from mediamatch.errors import BankNotFound
from mediamatch.service.auth import require
from mediamatch.store.accounts import ApiKey

router = APIRouter(prefix="/v1/test-images", tags=["integration"])


@router.get("")
async def list_test_images(
    request: Request, key: Annotated[ApiKey, Depends(require("match"))]
) -> dict[str, Any]:
    """The test images; sending one to ``/v1/match`` with a ``test`` key produces a hit."""
    base = str(request.url).rstrip("/")
    images = [
        {"name": f"test-image-{n}", "url": f"{base}/{n}", "media_type": "image/png"}
        for n in range(1, len(TEST_IMAGE_SEEDS) + 1)
    ]
    return {"tracking_id": request.state.tracking_id, "images": images}


@router.get("/{number}", response_class=Response)
async def get_test_image(number: int, key: Annotated[ApiKey, Depends(require("match"))]) -> Response:
    """Test image ``number`` as PNG."""
    if not 1 <= number <= len(TEST_IMAGE_SEEDS):
        raise BankNotFound(f"there are test images 1 to {len(TEST_IMAGE_SEEDS)}")
    return Response(sample_image_png(number), media_type="image/png")
