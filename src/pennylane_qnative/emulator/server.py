"""Running the emulator: a background-thread server and the ``running()`` context manager, or
its own process with ``spawned()``.

:class:`EmulatorServer` owns a private event loop on a daemon thread, serves the aiohttp app on
a loopback socket (port ``0`` picks a free one) and stops cleanly: the listening socket and open
connections are closed, the worker-thread pool is shut down and the thread is joined.

**Example**

>>> import httpx
>>> from pennylane_qnative.emulator import running
>>> with running(profile="instant") as url:
...     httpx.get(f"{url}/v0.4/backends").status_code
200
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from aiohttp import web

from pennylane_qnative.emulator.app import create_app
from pennylane_qnative.emulator.config import EmulatorConfig, check_host, keys_from_env
from pennylane_qnative.emulator.faults import FaultConfig
from pennylane_qnative.emulator.latency import LatencyModel, Profile
from pennylane_qnative.emulator.state import STATE, EmulatorState
from pennylane_qnative.exceptions import ConfigurationError, QnativeError
from pennylane_qnative.ionq.pricing import DEFAULT_RATE_CARD, RateCard

__all__ = ["EmulatorServer", "running", "spawned"]

logger = logging.getLogger(__name__)


class EmulatorServer:
    """An emulator serving on a background thread.

    Args:
        config (EmulatorConfig): the configuration
        host (str): the interface to bind (loopback by default)
        port (int): the port; ``0`` picks a free one
        allow_remote (bool): allow a non-loopback ``host``

    Raises:
        ConfigurationError: for a non-loopback ``host`` without ``allow_remote``, or a port
            outside 0..65535
    """

    def __init__(
        self,
        config: EmulatorConfig,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        allow_remote: bool = False,
    ) -> None:
        check_host(host, allow_remote=allow_remote)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ConfigurationError(f"port must be an integer from 0 to 65535, got {port!r}.")
        self.config = config
        self.host = host
        self.port = port
        self._app: web.Application | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        """The root URL (``http://host:port<root>``); the API is at ``url + "/v0.4"``."""
        return f"http://{self.host}:{self.port}{self.config.root}"

    @property
    def state(self) -> EmulatorState:
        """The live state (store, faults, counters) — for in-process tests."""
        if self._app is None:
            raise RuntimeError("the emulator is not running; call start() first.")
        return self._app[STATE]

    def start(self, timeout: float = 10.0) -> EmulatorServer:
        """Start serving and wait until the socket accepts connections.

        Raises:
            RuntimeError: if the server did not start within ``timeout`` seconds
        """
        self._thread = threading.Thread(target=self._serve, name="qnative-emulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout) or self._error is not None:
            self.stop()
            raise RuntimeError(f"the emulator did not start: {self._error!r}") from self._error
        logger.info("emulator: serving on %s (profile %s)", self.url, self.config.profile)
        return self

    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._start_site())
        except BaseException as error:  # reported to start()
            self._error = error
            self._ready.set()
            self._loop.close()
            return
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._loop.run_until_complete(self._shutdown())
            self._loop.close()

    async def _start_site(self) -> None:
        self._app = create_app(self.config)
        self._runner = web.AppRunner(self._app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def _shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        await asyncio.get_running_loop().shutdown_default_executor()

    def stop(self) -> None:
        """Stop serving, close every socket and join the thread (idempotent)."""
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def make_config(
    *,
    profile: Profile | str = Profile.INSTANT,
    db: str = ":memory:",
    seed: int = 0,
    api_keys: tuple[str, ...] | list[str] | None = None,
    faults: FaultConfig | dict[str, Any] | None = None,
    latency: LatencyModel | None = None,
    rate_card: RateCard = DEFAULT_RATE_CARD,
    root: str = "",
    max_simulated_qubits: int = 24,
) -> EmulatorConfig:
    """Build an :class:`EmulatorConfig` from keyword options (see :func:`running`)."""
    if isinstance(faults, dict):
        faults = FaultConfig().updated(faults)
    if api_keys is None:
        api_keys = keys_from_env()
    return EmulatorConfig(
        profile=profile,
        db=db,
        seed=seed,
        api_keys=tuple(api_keys),
        faults=faults or FaultConfig(),
        latency=latency,
        rate_card=rate_card,
        root=root,
        max_simulated_qubits=max_simulated_qubits,
    )


@contextmanager
def running(
    *,
    profile: Profile | str = Profile.INSTANT,
    db: str = ":memory:",
    seed: int = 0,
    api_keys: tuple[str, ...] | list[str] | None = None,
    faults: FaultConfig | dict[str, Any] | None = None,
    latency: LatencyModel | None = None,
    rate_card: RateCard = DEFAULT_RATE_CARD,
    root: str = "",
    max_simulated_qubits: int = 24,
    host: str = "127.0.0.1",
    port: int = 0,
    config: EmulatorConfig | None = None,
    allow_remote: bool = False,
) -> Iterator[str]:
    """Run an IonQ-compatible emulator on a free loopback port for the duration of a block.

    Args:
        profile (Profile | str): ``"instant"`` (default), ``"cloud-simulator"`` or ``"qpu"``
        db (str): sqlite file for the jobs (``":memory:"`` by default)
        seed (int): seeds sampling and faults
        api_keys (tuple[str, ...] | list[str] | None): accepted keys; ``None`` reads
            ``QNATIVE_EMULATOR_KEYS``; empty: any non-empty key is accepted
        faults (FaultConfig | dict | None): faults to inject from the start
        latency (LatencyModel | None): explicit delays instead of the profile's
        rate_card (RateCard): prices for ``/jobs/estimate`` and ``/jobs/{id}/cost``
        root (str): path prefix of the API (``""``: ``/v0.4`` at host root)
        max_simulated_qubits (int): wider jobs end ``failed`` with ``SimulationError``
        host (str): interface to bind
        port (int): port (``0``: a free one)
        config (EmulatorConfig | None): a full configuration, replacing the options above
        allow_remote (bool): allow a non-loopback ``host``

    Yields:
        str: the root URL, e.g. ``http://127.0.0.1:54321``; the API is at ``url + "/v0.4"``,
        the admin endpoints at ``url + "/_emulator"``

    Raises:
        ConfigurationError: on an invalid option
    """
    if config is None:
        config = make_config(
            profile=profile,
            db=db,
            seed=seed,
            api_keys=api_keys,
            faults=faults,
            latency=latency,
            rate_card=rate_card,
            root=root,
            max_simulated_qubits=max_simulated_qubits,
        )
    elif not isinstance(config, EmulatorConfig):
        raise ConfigurationError(f"config must be an EmulatorConfig, got {type(config).__name__}.")
    server = EmulatorServer(
        replace(config), host=host, port=port, allow_remote=allow_remote
    ).start()
    try:
        yield server.url
    finally:
        server.stop()


@contextmanager
def spawned(
    arguments: Sequence[str] = (),
    *,
    log: str | os.PathLike,
    env: Mapping[str, str] | None = None,
    start_timeout: float = 30.0,
) -> Iterator[str]:
    """Run the emulator in its own process (``python -m pennylane_qnative.emulator``) on a free
    loopback port for the duration of a block, so that its memory and CPU are not the caller's.

    Args:
        arguments (Sequence[str]): more command-line options (``--profile``, ``--api-key``, ...)
        log (str | PathLike): file for the process's output
        env (Mapping | None): the process's environment (``None``: this one's)
        start_timeout (float): seconds to wait for it to answer

    Yields:
        str: the root URL (``http://127.0.0.1:<port>``)

    Raises:
        QnativeError: if it exits or does not answer within ``start_timeout``
    """
    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    command = [sys.executable, "-m", "pennylane_qnative.emulator", "--port", str(port)]
    command += list(arguments)
    url = f"http://127.0.0.1:{port}"
    with open(log, "w", encoding="utf-8") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, env=None if env is None else dict(env)
        )
        try:
            deadline = time.monotonic() + start_timeout
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    httpx.get(url + "/v0.4/backends", timeout=1).raise_for_status()
                    break
                if process.poll() is not None:
                    raise QnativeError(f"the emulator exited with status {process.returncode}.")
                if time.monotonic() > deadline:
                    raise QnativeError(
                        f"the emulator ({' '.join(command)}) did not start in {start_timeout} s."
                    )
                time.sleep(0.1)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)
