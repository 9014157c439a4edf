"""The dev server command `tidings dev` and `make demo` run: search attributes with their real types."""

from __future__ import annotations

from pathlib import Path

from domain.settings import Settings
from starter.devstack import dev_server_command, ui_port


def test_dev_server_registers_every_search_attribute_with_its_type(tmp_path: Path) -> None:
    cmd = dev_server_command(Settings(temporal_address="localhost:7233"), tmp_path)
    pairs = [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "--search-attribute"]
    assert "OrderValue=Double" in pairs
    assert "OrderId=Keyword" in pairs and "Stage=Keyword" in pairs
    assert (
        cmd[cmd.index("--ui-port") + 1] == "8233" == str(ui_port(Settings(temporal_address="localhost:7233")))
    )
    assert cmd[cmd.index("--db-filename") + 1] == str(tmp_path / "temporal.db")
