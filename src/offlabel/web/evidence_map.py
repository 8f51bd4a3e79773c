"""The evidence map of a scan in the browser (offlabel scan / offlabel map): filled in by issue 15."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter()
