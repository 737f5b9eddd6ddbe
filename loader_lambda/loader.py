"""One loader run: list each hour's objects, skip what the manifest has, land the rest exactly once, compact."""

from __future__ import annotations

import contextlib
import functools
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import psycopg2
import psycopg2.extensions

from loader_lambda.compaction import compact_hour, compacted_key, read_compacted
from loader_lambda.large_objects import IN_MEMORY_MAX_BYTES, IN_MEMORY_MAX_INFLATED, parse_streamed
from loader_lambda.ledger import REFUSALS_SOURCE, Group, Ledger, RunStats, rejected_count
from loader_lambda.lines import NeedsStreaming, ParsedObject, parse_numbered, parse_object
from loader_lambda.settings import LoaderSettings
from loader_lambda.window import LoadPlan
from raw_store import KeyKind, ObjectInfo, RawStore, StorageError, StreamingStore, hour_prefix
from warehouse.connection import WarehouseSettings

_FETCH_CHUNK = 8
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class LoadSummary:
    run_id: str
    trigger: str
    source: str
    hours: list[str]
    status: str
    objects: int
    loaded: int
    skipped: int
    failed: int
    rows: int
    refusals: int
    rejected: int
    compacted: list[str]
    problems: list[str]
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Streamed:
    """An object to read as a stream and land alone (too large to hold in memory)."""

    info: ObjectInfo


@dataclass(frozen=True)
class Unreadable:
    """An object the store would not give back within the run's attempts."""

    info: ObjectInfo
    error: str


@dataclass
class Progress:
    """Callbacks for a progress display: an hour's object count once listed, then objects as they land."""

    hour_listed: Callable[[datetime, int], None] = lambda hour, count: None
    objects_done: Callable[[int], None] = lambda count: None


def run_load(
    plan: LoadPlan,
    store: RawStore,
    settings: LoaderSettings,
    warehouse: WarehouseSettings,
    *,
    now: datetime,
    progress: Progress | None = None,
) -> LoadSummary:
    progress = progress or Progress()
    started = time.perf_counter()
    conn = _connect(warehouse)
    stats = RunStats()
    compacted: list[str] = []
    connections = [conn]
    try:
        ledger = Ledger(conn, settings.target_table, settings.lock_timeout_seconds)
        failing = ledger.open_failures()
        plan = _with_failed_hours(plan, failing)
        run_id = ledger.start_run(plan)
        try:
            writers = [ledger]
            for _ in range(settings.writer_connections - 1):
                connections.append(_connect(warehouse))
                writers.append(Ledger(connections[-1], settings.target_table, settings.lock_timeout_seconds))
            reader = Reader(store, settings)
            with (
                ThreadPoolExecutor(settings.fetch_threads, thread_name_prefix="fetch") as pool,
                Writers(writers, reader, failing) as lander,
            ):
                for hour in plan.hours:
                    with ledger.hour_lock(hour):
                        loaded: bool | None = None
                        newest: datetime | None = None
                        if plan.source == "compacted":
                            _load_compacted(plan, hour, store, ledger, lander, run_id, settings, stats, progress)
                        else:
                            loaded, newest = _load_objects(
                                plan, hour, reader, ledger, lander, run_id, settings, pool, stats, progress, failing
                            )
                        if plan.prefix is None:
                            # The ingest's refusals of the hour (rejected/), whichever source the events come from:
                            # the bucket keeps rejected/ longer than events/, and nothing compacts it.
                            refusals = Progress()  # the progress display counts the hour's events
                            _load_objects(
                                plan,
                                hour,
                                reader,
                                ledger,
                                lander,
                                run_id,
                                settings,
                                pool,
                                stats,
                                refusals,
                                failing,
                                KeyKind.REJECTED,
                            )
                    # An hour with an unreadable object is compacted once it has all loaded: compacting it now would
                    # fail on the same object, after reading the rest of the hour again at every retry.
                    if (
                        settings.compact
                        and hour + timedelta(hours=1) <= now
                        and newest is not None
                        and loaded is not None
                    ):
                        _compact_if_needed(store, hour, loaded, newest, stats, compacted)
            status = "partial" if stats.problems else "succeeded"
            ledger.finish_run(run_id, stats, status, "; ".join(stats.problems)[:8000] or None)
        except BaseException as exc:
            status = "failed"
            # If the connection itself is gone the run row stays 'running'; the original error is what matters.
            with contextlib.suppress(psycopg2.Error):
                ledger.finish_run(run_id, stats, status, f"{type(exc).__name__}: {exc}"[:8000])
            raise
    finally:
        for connection in connections:
            connection.close()
    return LoadSummary(
        run_id=str(run_id),
        trigger=plan.trigger,
        source=plan.source,
        hours=[f"{hour:%Y-%m-%dT%H:00:00Z}" for hour in plan.hours],
        status=status,
        objects=stats.objects_listed,
        loaded=stats.objects_loaded,
        skipped=stats.objects_skipped,
        failed=stats.objects_failed,
        rows=stats.rows_loaded,
        refusals=stats.refusals_loaded,
        rejected=stats.lines_rejected,
        compacted=compacted,
        problems=stats.problems,
        seconds=round(time.perf_counter() - started, 3),
    )


def _with_failed_hours(plan: LoadPlan, failing: dict[str, datetime]) -> LoadPlan:
    """A scheduled run also goes back to every hour with a recorded failure, however old: no readable event is
    left behind once its hour leaves the lookback."""
    if plan.trigger not in ("schedule", "hoursBack") or plan.source != "events" or plan.prefix is not None:
        return plan
    extra = set(failing.values()) - set(plan.hours)
    if not extra:
        return plan
    return LoadPlan(plan.trigger, plan.source, tuple(sorted({*plan.hours, *extra})))


class Reader:
    """Reads objects from the store with bounded retries: a few attempts, pausing longer each time."""

    def __init__(self, store: RawStore, settings: LoaderSettings) -> None:
        self.store = store
        self.attempts = settings.read_attempts
        self.pause = settings.read_retry_seconds

    def retrying(self, read: Callable[[], T]) -> T:
        for attempt in range(1, self.attempts + 1):
            try:
                return read()
            except StorageError:
                if attempt == self.attempts:
                    raise
                time.sleep(self.pause * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    def get(self, key: str) -> bytes:
        return self.retrying(lambda: self.store.get(key))

    def chunks(self, key: str) -> Iterator[bytes]:
        """One attempt at the object's stream (a caller retries the whole read)."""
        if isinstance(self.store, StreamingStore):
            return self.store.stream(key)
        return iter((self.store.get(key),))


def _connect(warehouse: WarehouseSettings) -> psycopg2.extensions.connection:
    # Unreachable: nothing was loaded or marked loaded, so a retry is safe.
    return warehouse.connect_or_unreachable()


def _compact_if_needed(
    store: RawStore, hour: datetime, loaded: bool, newest: datetime, stats: RunStats, compacted: list[str]
) -> None:
    """(Re)write an ended hour's compacted file when this run loaded some of its objects, or when the file is
    missing or older than the hour's newest object (a compaction that failed or was cut short is retried)."""
    if not loaded:
        current = [info for info in store.list(hour_prefix(KeyKind.COMPACTED, hour)) if info.key == compacted_key(hour)]
        if current and current[0].last_modified >= newest:
            return
    try:
        written = compact_hour(store, hour)
    except StorageError as exc:
        stats.problems.append(f"compaction of {hour:%Y-%m-%dT%H} failed: {exc}")
        return
    if written:
        compacted.append(written[0])


def _still_to_load(infos: list[ObjectInfo], ledger: Ledger, stats: RunStats) -> list[ObjectInfo]:
    """Objects not in the manifest. Same etag: already loaded, skipped. Changed etag: reported, never reloaded."""
    stats.objects_listed += len(infos)
    known = ledger.loaded_etags([info.key for info in infos]) if infos else {}  # an hour without refusals: no query
    todo = []
    for info in infos:
        etag = known.get(info.key)
        if etag is None:
            todo.append(info)
        elif etag == info.etag:
            stats.objects_skipped += 1
        else:
            stats.objects_failed += 1
            stats.problems.append(f"{info.key} changed after it was loaded (etag {etag} -> {info.etag}); not reloaded")
    return todo


def _load_objects(
    plan: LoadPlan,
    hour: datetime,
    reader: Reader,
    ledger: Ledger,
    lander: Writers,
    run_id: Any,
    settings: LoaderSettings,
    pool: ThreadPoolExecutor,
    stats: RunStats,
    progress: Progress,
    failing: dict[str, datetime],
    kind: KeyKind = KeyKind.EVENTS,
) -> tuple[bool | None, datetime | None]:
    """Load the hour's new objects of `kind` (events, or the ingest's refusals); return whether any was loaded
    (None when one could not be read) and when the newest object was written.

    An object that cannot be read within the retries is recorded in raw.load_failures (the hour's other objects
    load); so is an hour that cannot be listed."""
    prefix = (plan.prefix if kind is KeyKind.EVENTS else None) or hour_prefix(kind, hour)
    source = REFUSALS_SOURCE if kind is KeyKind.REJECTED else "events"
    # A refusal record starts with the ingest's receivedAt and may hold a client's own after it: the shape check of
    # the optimistic path takes the last one, so refusals (few) are parsed exactly.
    optimistic = kind is KeyKind.EVENTS
    try:
        infos = reader.retrying(lambda: list(reader.store.list(prefix)))
    except StorageError as exc:
        ledger.record_failures([(prefix, hour, None, f"listing failed: {exc}")], run_id)
        stats.problems.append(f"{prefix} could not be listed (recorded in raw.load_failures): {exc}")
        return None, None
    if prefix in failing:
        ledger.resolve_failures([prefix])
    listed = {info.key for info in infos}
    gone = sorted(key for key in failing if key.startswith(prefix) and key != prefix and key not in listed)
    if gone:  # stays open, and the run partial, until an operator resolves it (docs/loader.md)
        stats.problems.append(
            f"{len(gone)} object(s) recorded in raw.load_failures are no longer in the store: {', '.join(gone[:3])}"
        )
    newest = max((info.last_modified for info in infos), default=None)
    todo = _still_to_load(infos, ledger, stats)
    progress.hour_listed(hour, len(todo))

    # The pool only waits on storage (S3 GETs are I/O, and release the GIL); parsing is CPU work and happens on
    # the one group-builder thread, since Python threads parsing side by side only contend for the GIL. Objects
    # are fetched a few per task: a future per small object cost as much as reading it from a local disk. A large
    # object is not fetched here: the writer that lands it streams it.
    def fetch(chunk: list[ObjectInfo]) -> list[ParsedObject | Streamed | Unreadable]:
        return [_fetch_one(info) for info in chunk]

    def _fetch_one(info: ObjectInfo) -> ParsedObject | Streamed | Unreadable:
        if info.size > IN_MEMORY_MAX_BYTES:
            return Streamed(info)
        try:
            data = reader.get(info.key)
        except StorageError as exc:
            return Unreadable(info, str(exc))
        if len(data) > IN_MEMORY_MAX_BYTES:  # it grew since it was listed
            return Streamed(info)
        return ParsedObject(info.key, info.etag, len(data), data=data)

    def parse(item: ParsedObject | Streamed | Unreadable) -> ParsedObject | Streamed | Unreadable:
        if not isinstance(item, ParsedObject) or item.data is None:
            return item
        try:
            return parse_object(
                item.key, item.etag, item.data, hour, optimistic=optimistic, max_inflated=IN_MEMORY_MAX_INFLATED
            )
        except NeedsStreaming:
            return Streamed(ObjectInfo(item.key, item.size, item.etag, hour))

    chunks = [todo[i : i + _FETCH_CHUNK] for i in range(0, len(todo), _FETCH_CHUNK)]
    fetched = (item for chunk in _bounded_map(pool, fetch, chunks, window=settings.fetch_threads) for item in chunk)
    failures: list[Unreadable] = []
    _commit_in_groups(map(parse, fetched), hour, source, lander, run_id, settings, stats, progress, failures)
    if failures:
        ledger.record_failures([(f.info.key, hour, f.info.etag, f.error) for f in failures], run_id)
        stats.objects_failed += len(failures)
        shown = "; ".join(f"{f.info.key}: {f.error}" for f in failures[:3])
        more = f" (and {len(failures) - 3} more)" if len(failures) > 3 else ""
        stats.problems.append(
            f"{len(failures)} object(s) of {hour:%Y-%m-%dT%H} could not be read after {reader.attempts} attempt(s), "
            f"recorded in raw.load_failures and retried by later runs: {shown}{more}"
        )
    return (None if failures else len(todo) > 0), newest


def _load_compacted(
    plan: LoadPlan,
    hour: datetime,
    store: RawStore,
    ledger: Ledger,
    lander: Writers,
    run_id: Any,
    settings: LoaderSettings,
    stats: RunStats,
    progress: Progress,
) -> None:
    key = compacted_key(hour)
    if not any(info.key == key for info in store.list(plan.prefix or hour_prefix(KeyKind.COMPACTED, hour))):
        stats.problems.append(f"no compacted file for {hour:%Y-%m-%dT%H}: {key}")
        return
    try:
        data = store.get(key)
    except StorageError as exc:
        stats.problems.append(f"the compacted file for {hour:%Y-%m-%dT%H} could not be read: {exc}")
        return
    objects = list(read_compacted(data))
    todo = {info.key for info in _still_to_load([info for info, _ in objects], ledger, stats)}
    progress.hour_listed(hour, len(todo))
    parsed = (
        parse_numbered(info.key, info.etag, info.size, lines, hour) for info, lines in objects if info.key in todo
    )
    _commit_in_groups(parsed, hour, "compacted", lander, run_id, settings, stats, progress, [])


def _commit_in_groups(
    parsed: Iterable[ParsedObject | Streamed | Unreadable],
    hour: datetime,
    source: str,
    lander: Writers,
    run_id: Any,
    settings: LoaderSettings,
    stats: RunStats,
    progress: Progress,
    failures: list[Unreadable],
) -> None:
    """Many small objects share a transaction (one commit per object would cost a round trip and a WAL flush
    each), but an object is never split across two. The next group is parsed while this one is sent. Objects
    that could not be read are appended to `failures`."""

    def landed(group: Group) -> None:
        if group.failed is not None:
            failures.append(Unreadable(*group.failed))
            progress.objects_done(1)
            return
        stats.objects_loaded += len(group.objects)
        rows = sum(o.rows for o in group.objects)
        if source == REFUSALS_SOURCE:
            stats.refusals_loaded += rows
        else:
            stats.rows_loaded += rows
        stats.lines_rejected += sum(rejected_count(o) for o in group.objects)
        progress.objects_done(len(group.objects))

    groups = _groups_ahead(parsed, settings.max_records_per_batch, failures)
    lander.land_all(groups, hour, source, run_id, landed)


class Writers:
    """Groups commit on several connections at once, each group in its own transaction on one of them.

    PostgreSQL parses every jsonb value of a COPY on the one backend that receives it; with small objects that
    backend, not this process, is the slower side, so a second connection lets the server use a second core.
    Exactly once is untouched: a group still commits with its manifest rows or not at all, whichever connection
    carries it, and the hour lock stays with the run's first connection.
    """

    def __init__(
        self, ledgers: list[Ledger], reader: Reader | None = None, failing: dict[str, datetime] | None = None
    ) -> None:
        self.reader = reader
        self.failing = failing or {}
        self.idle: queue.SimpleQueue[Ledger] = queue.SimpleQueue()
        for ledger in ledgers:
            self.idle.put(ledger)
        self.size = len(ledgers)
        self.pool = ThreadPoolExecutor(self.size, thread_name_prefix="writer")

    def __enter__(self) -> Writers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown(wait=True)

    def land_all(
        self, groups: Iterable[Group], hour: datetime, source: str, run_id: Any, landed: Callable[[Group], None]
    ) -> None:
        """Land every group, at most one per connection in flight; `landed` is called (on this thread) for each
        committed group, including those that finished after another failed, before the first error is raised."""
        pending: deque[Future[Group]] = deque()
        try:
            for group in groups:
                if len(pending) >= self.size:
                    landed(pending.popleft().result())
                pending.append(self.pool.submit(self._land_on_idle, group, hour, source, run_id))
            while pending:
                landed(pending.popleft().result())
        finally:
            # After an error, wait for what is in flight: its commits happened and belong in the run's counts.
            for future in pending:
                with contextlib.suppress(BaseException):
                    landed(future.result())

    def _land_on_idle(self, group: Group, hour: datetime, source: str, run_id: Any) -> Group:
        ledger = self.idle.get()
        try:
            if group.streamed is not None:
                assert self.reader is not None, "a streamed group needs the run's reader"
                return _land_streamed(group.streamed, hour, source, ledger, run_id, self.reader, self.failing)
            return _land(group, hour, source, ledger, run_id, self.failing)
        finally:
            self.idle.put(ledger)


def _land(
    group: Group, hour: datetime, source: str, ledger: Ledger, run_id: Any, failing: dict[str, datetime]
) -> Group:
    """Commit a group; if COPY's jsonb parser refuses a line the optimistic parse let through (SQLSTATE class 22:
    not JSON, \\u0000, a lone surrogate, a number out of range, bad UTF-8), the transaction has rolled back: check
    every line of the group exactly and land it again, the refused lines in rejected_lines."""
    resolves = [o.key for o in group.objects if o.key in failing]
    try:
        ledger.commit_group(group, run_id, source, hour, resolves)
    except psycopg2.DataError:
        if not any(o.data is not None for o in group.objects):
            raise
        group = Group.of(
            [parse_object(o.key, o.etag, o.data, hour) if o.data is not None else o for o in group.objects]
        )
        ledger.commit_group(group, run_id, source, hour, resolves)
    return group


def _land_streamed(
    info: ObjectInfo,
    hour: datetime,
    source: str,
    ledger: Ledger,
    run_id: Any,
    reader: Reader,
    failing: dict[str, datetime],
) -> Group:
    """Read a large object as a stream into spool files and land it alone; optimistic first, exactly if COPY
    refuses a line (as `_land`). A read failure after the retries comes back as the group's `failed`."""
    resolves = [info.key] if info.key in failing else []
    # Refusals are parsed exactly (see _load_objects).
    for optimistic in (False,) if source == REFUSALS_SOURCE else (True, False):
        try:
            parsed = reader.retrying(
                functools.partial(
                    parse_streamed, info, lambda: reader.chunks(info.key), hour, str(run_id), optimistic=optimistic
                )
            )
        except StorageError as exc:
            return Group([], b"", failed=(info, str(exc)))
        group = Group([parsed], b"")
        try:
            ledger.commit_group(group, run_id, source, hour, resolves)
            return group
        except psycopg2.DataError:
            if not optimistic:
                raise
        finally:
            if parsed.spool is not None:
                parsed.spool.close()
    raise AssertionError("unreachable")


_DONE = object()


def _groups_ahead(
    parsed: Iterable[ParsedObject | Streamed | Unreadable], max_lines: int, failures: list[Unreadable]
) -> Iterator[Group]:
    """Groups of about `max_lines` lines, built in a background thread one group ahead of the consumer; a large
    object is a group of its own (its writer streams it); an unreadable one goes to `failures`.

    While the consumer's COPY streams to PostgreSQL (libpq releases the GIL), this thread fetches, parses and
    joins the next group; memory stays bounded at about two groups however large the hour is.
    """
    handoff: queue.Queue[Any] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def build() -> None:
        try:
            batch: list[ParsedObject] = []
            lines = 0
            for item in parsed:
                if isinstance(item, Unreadable):
                    failures.append(item)
                    continue
                if isinstance(item, Streamed):
                    if batch and not put(Group.of(batch)):
                        return
                    batch, lines = [], 0
                    if not put(Group([], b"", streamed=item.info)):
                        return
                    continue
                batch.append(item)
                lines += item.lines or 1
                if lines >= max_lines:
                    if not put(Group.of(batch)):
                        return
                    batch, lines = [], 0
            if batch and not put(Group.of(batch)):
                return
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, which raises it
            put(exc)

    builder = threading.Thread(target=build, name="group-builder", daemon=True)
    builder.start()
    try:
        while True:
            item = handoff.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        builder.join(timeout=5)


def _bounded_map(pool: ThreadPoolExecutor, fn: Callable[[T], R], items: list[T], window: int) -> Iterator[R]:
    """`pool.map`, in order, with at most `window` results in memory however many items there are."""
    pending: deque[Future[R]] = deque()
    queue = iter(items)
    for item in queue:
        pending.append(pool.submit(fn, item))
        if len(pending) >= window:
            break
    while pending:
        result = pending.popleft().result()
        following = next(queue, None)
        if following is not None:
            pending.append(pool.submit(fn, following))
        yield result
