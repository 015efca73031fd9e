"""``encore pretrain --engine spark``: the WMF item factors trained by Spark's ALS instead of ``implicit``.

Why: ``implicit`` trains on one machine, which is right for Last.fm-2k and the 48M-row MSD Taste
Profile; a listening dump of billions of rows (ListenBrainz trains on Spark) outgrows it. This module
is imported only by that subcommand (and its tests / benchmark), and imports pyspark lazily.

Same model as the ``implicit`` path, read from the same ``PretrainConfig``:

- **Confidence.** Spark's implicit ALS (Hu, Koren & Volinsky 2008) uses ``c = 1 + alpha·r`` with
  preference ``p = 1`` for ``r > 0``. We give Spark ``alpha = 1`` and the rating ``r' = c(r) - 1``,
  where ``c`` is the implicit path's confidence function (``foldin.confidence`` with the config's α
  and ε), computed by a Spark SQL expression. At start the expression is checked against
  ``foldin.confidence`` on a grid of counts; if the implicit path's function has changed shape, the
  ratings are mapped by that Python function itself (slower, always the same).
- **Regularisation.** ``implicit`` adds a flat ``λ·|x|²`` for every row (user or tag pseudo-listener)
  and every item. Spark scales its ``regParam`` λ' per least-squares problem by the number of ratings
  of that row or item (ALS-WR; "Scaling of the regularization parameter" in Spark's collaborative
  filtering guide): it minimises ``Σ c (p - x·y)² + λ' (Σ_u n_u |x_u|² + Σ_i n_i |y_i|²)``. No
  ``regParam`` makes that flat, so we map them exactly for the case where every row has the mean
  count ``n̄_u = nnz/rows`` and every item ``n̄_i = nnz/items``: then Spark's penalties are
  ``a = λ'·n̄_u`` on rows and ``b = λ'·n̄_i`` on items, and since only ``x·y`` is observed,
  ``x = s·x̃, y = ỹ/s`` turns them into implicit's ``λ(|x̃|² + |ỹ|²)`` when ``a·b = λ²`` and
  ``s² = λ/a``. So ``regParam = λ / √(n̄_u·n̄_i) = λ·√(rows·items) / nnz``, and Spark's item factors
  are multiplied by ``s = (n̄_i/n̄_u)^¼ = (rows/items)^¼`` before they go into the bundle, where the
  user fold-in (``foldin.FoldIn``) uses implicit's flat λ. With real, skewed counts heavy rows and
  items get more shrinkage than under ``implicit`` and light ones less; the agreement is measured:
  Recall@20 on the developers' validation users against the implicit engine's
  (``benchmarks/pretrain_scaling.py --recall``, ``tests/test_factors_spark.py``).
- Rank, iterations and seed are the config's; Spark's random initialisation differs from
  ``implicit``'s, so factors agree in quality, not number for number.

What scales and what does not: reading the listening files, joining them to row/item codes, summing
duplicates, the confidence mapping and ALS itself run on the Spark cluster (``--master``); only the item
factors (items x k floats) come back to the driver. The rest of the bundle is built as today on the
driver: the id tables, artist names and MSD metadata, the Last.fm tag pseudo-listener rows (small,
Last.fm only), the anonymised training rows stored in the bundle, RP3beta and the validation figures
(both read that CSR matrix, which today's loaders build). Those need the interactions in the driver's
memory (about 12 bytes a row: fine for the 48M-row Taste Profile, a big driver for billions), so the
driver, not the cluster, bounds the rows one bundle can hold. Executors run JVM code only while the
confidence is a SQL expression; the Python fallback needs Encore importable on the workers.

API: ``SparkTrainer(source, paths, master=..., conf=..., spark=None, level=...)`` is a context manager
and a trainer for ``pretrain.pretrain(..., trainer=...)``; ``spark_reg_param``, ``read_ratings``,
``spark_session``.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from recommender.factors.foldin import confidence
from recommender.training.data import Interactions

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame, SparkSession

    from recommender.training.als import PretrainConfig

DEFAULT_MASTER = "local[*]"
# c(r) - 1 for the implicit path's c = 1 + α·log(1 + r/ε); checked against foldin.confidence at start.
_RATING_SQL = "{alpha!r} * ln(1.0 + greatest(count, 0.0) / {eps!r})"
_NO_QUOTE = "\u0000"  # ids are plain tokens: never treat '"' as quoting


def spark_session(master: str = DEFAULT_MASTER, conf: Mapping[str, str] | None = None) -> SparkSession:
    """A Spark session on ``master`` (any master URL: ``local[*]``, ``spark://host:7077``, ``yarn``...).

    Under ``spark-submit`` the master and settings given there win (``getOrCreate`` reuses them).
    """
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("encore-pretrain")
    if not (master == DEFAULT_MASTER and os.environ.get("PYSPARK_GATEWAY_PORT")):
        builder = builder.master(master)  # under spark-submit, its --master wins over our default
    defaults = {"spark.ui.showConsoleProgress": "false", "spark.ui.enabled": "false"}
    if master.startswith("local"):
        defaults["spark.sql.shuffle.partitions"] = "8"  # 200 tiny tasks cost more than they share
        defaults["spark.driver.memory"] = "2g"
        # ALS's lineage grows with every iteration; its recursive serialisation overflowed the JVM's
        # default thread stack on a loaded machine (StackOverflowError in the MSD fit). A larger stack
        # and a checkpoint directory (set below: ALS then cuts the lineage every 10 iterations) fix it.
        defaults["spark.driver.extraJavaOptions"] = "-Xss16m"
    for key, value in {**defaults, **(conf or {})}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    if master.startswith("local") and spark.sparkContext.getCheckpointDir() is None:
        # On a cluster the checkpoint directory must be shared storage: give it with
        # ``sc.setCheckpointDir`` under spark-submit; locally a temporary folder does.
        import atexit
        import shutil
        import tempfile

        folder = tempfile.mkdtemp(prefix="encore-spark-checkpoints-")
        atexit.register(shutil.rmtree, folder, True)
        spark.sparkContext.setCheckpointDir(folder)
    return spark


def read_ratings(spark: SparkSession, source: str, paths: list[str]) -> DataFrame:
    """The listening rows of a source as a DataFrame ``(user string, key string, count double)``.

    ``lastfm2k``: ``FOLDER/user_artists.dat`` (tab-separated, header ``userID artistID weight``);
    ``msd``: the Taste Profile triplets (``user \\t song_id \\t count``, no header). Paths may be any
    Hadoop URL (``hdfs://``, ``s3a://``, shared storage) the cluster can read.
    """
    if source == "lastfm2k":
        path = str(paths[0]).rstrip("/") + "/user_artists.dat"
        schema, header = "user STRING, key STRING, count DOUBLE", True
    elif source == "msd":
        path, schema, header = str(paths[0]), "user STRING, key STRING, count DOUBLE", False
    else:
        raise ValueError(f"unknown source {source!r} (lastfm2k or msd)")
    return spark.read.csv(path, sep="\t", header=header, schema=schema, quote=_NO_QUOTE, mode="FAILFAST")


def spark_reg_param(regularization: float, n_rows: int, n_items: int, nnz: int) -> float:
    """``implicit``'s flat λ as Spark's count-scaled ``regParam``: ``λ·√(rows·items)/nnz`` (module docstring)."""
    if nnz <= 0 or n_rows <= 0 or n_items <= 0:
        raise ValueError("no interactions to train on")
    return float(regularization) * math.sqrt(float(n_rows) * float(n_items)) / float(nnz)


def item_factor_scale(n_rows: int, n_items: int) -> float:
    """``(rows/items)^¼``: Spark's item factors in implicit's scale, for the flat-λ fold-in (module docstring)."""
    return (float(n_rows) / float(n_items)) ** 0.25


def _item_keys(inter: Interactions, source: str, paths: list[str]) -> tuple[list[str], np.ndarray]:
    """The file keys (Last.fm artistID, MSD song id) and the bundle column each one counts for."""
    if source == "msd" and inter.level == "artist":
        from recommender.training.msd import read_msd_metadata

        column = {str(a): j for j, a in enumerate(inter.item_ids)}
        meta = read_msd_metadata(paths[1]) if len(paths) > 1 else {}
        pairs = [(s, column[m.artist]) for s, m in meta.items() if m.artist in column]
        return [p[0] for p in pairs], np.array([p[1] for p in pairs], dtype=np.int64)
    return [str(x) for x in inter.item_ids], np.arange(inter.n_items, dtype=np.int64)


class SparkTrainer:
    """Trains item factors with Spark ALS from the source's files; a trainer for ``pretrain``.

    Called as ``trainer(inter, side, config, progress)`` like the implicit trainer: ``inter`` says
    which users and items to train on (the validation run passes a subset) and in which column order;
    ``side`` are the extra tag pseudo-listener rows. ``last_seconds`` is the last fit's ALS time.
    """

    engine = "spark"

    def __init__(
        self,
        source: str,
        paths: list[str],
        master: str = DEFAULT_MASTER,
        conf: Mapping[str, str] | None = None,
        spark: SparkSession | None = None,
    ) -> None:
        self.source, self.paths = source, [str(p) for p in paths]
        self.master, self.conf = master, dict(conf or {})
        self._spark = spark
        self._own = spark is None
        self.last_seconds = 0.0
        self._sql_ok: dict[tuple[float, float], bool] = {}

    @property
    def spark(self) -> SparkSession:
        if self._spark is None:
            from pyspark.sql import SparkSession

            # A session already running in this process (a notebook, a caller's) is used, not stopped.
            self._own = SparkSession.getActiveSession() is None
            self._spark = spark_session(self.master, self.conf)
        return self._spark

    def __enter__(self) -> SparkTrainer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the session if this trainer started it."""
        if self._own and self._spark is not None:
            self._spark.stop()
            self._spark = None

    @property
    def version(self) -> str:
        return str(self.spark.version)

    # --- the confidence --------------------------------------------------------------------------
    def _sql_matches(self, alpha: float, eps: float) -> bool:
        """Does the SQL rating expression equal ``foldin.confidence - 1`` for these α, ε?"""
        key = (alpha, eps)
        if key not in self._sql_ok:
            grid = [0.0, 0.5, 1.0, 2.0, 3.0, 7.0, 10.0, 55.5, 100.0, 1234.0, 1e5, 3.2e6]
            df = self.spark.createDataFrame([(g,) for g in grid], "count DOUBLE")
            got = [r[0] for r in df.selectExpr(_RATING_SQL.format(alpha=alpha, eps=eps)).collect()]
            want = confidence(np.array(grid), alpha, eps) - 1.0
            self._sql_ok[key] = bool(np.allclose(got, want, rtol=1e-9, atol=1e-12))
        return self._sql_ok[key]

    def _with_rating(self, rows: DataFrame, config: PretrainConfig) -> DataFrame:
        """``(row, item, count)`` -> ``(row, item, rating)`` with ``rating = c(count) - 1``."""
        alpha, eps = float(config.alpha), float(config.eps)
        if self._sql_matches(alpha, eps):
            return rows.selectExpr("row", "item", f"{_RATING_SQL.format(alpha=alpha, eps=eps)} AS rating")

        def ratings(part: Iterator[Any]) -> Iterator[tuple[int, int, float]]:
            block = list(part)
            if block:
                c = confidence(np.array([r[2] for r in block], dtype=np.float64), alpha, eps) - 1.0
                yield from ((int(r[0]), int(r[1]), float(v)) for r, v in zip(block, c, strict=True))

        return self.spark.createDataFrame(rows.rdd.mapPartitions(ratings), "row INT, item INT, rating DOUBLE")

    # --- the rows ----------------------------------------------------------------------------------
    def _codes(self, names: list[str], codes: np.ndarray, name_col: str, code_col: str) -> DataFrame:
        data = list(zip(names, (int(c) for c in codes), strict=True))
        return self.spark.createDataFrame(data, f"{name_col} STRING, {code_col} INT")

    def rows(self, inter: Interactions, side: sp.csr_matrix | None) -> DataFrame:
        """``(row, item, count)``: the files' listening rows for ``inter``'s users and items, duplicates
        summed, then the tag pseudo-listener rows numbered after the users."""
        from pyspark.sql import functions as F

        users = self._codes([str(u) for u in inter.user_ids], np.arange(inter.n_users), "user", "row")
        keys, cols = _item_keys(inter, self.source, self.paths)
        items = self._codes(keys, cols, "key", "item")
        listening = (
            read_ratings(self.spark, self.source, self.paths)
            .join(users, "user")
            .join(items, "key")
            .groupBy("row", "item")
            .agg(F.sum("count").alias("count"))
        )
        if side is None or side.shape[0] == 0:
            return listening
        coo = sp.coo_matrix(side)
        data = list(
            zip(
                (int(r) + inter.n_users for r in coo.row),
                (int(c) for c in coo.col),
                (float(v) for v in coo.data),
                strict=True,
            )
        )
        tags = self.spark.createDataFrame(data, "row INT, item INT, count DOUBLE")
        return listening.unionByName(tags)

    # --- the fit -----------------------------------------------------------------------------------
    def __call__(
        self,
        inter: Interactions,
        side: sp.csr_matrix | None,
        config: PretrainConfig,
        progress: Callable[[str], None] | None = None,
    ) -> np.ndarray:
        """Item factors float32 [inter.n_items, k] (items Spark never saw stay zero)."""
        from pyspark import StorageLevel
        from pyspark.ml.recommendation import ALS

        t = time.perf_counter()
        ratings = self._with_rating(self.rows(inter, side), config).persist(StorageLevel.MEMORY_AND_DISK)
        try:
            nnz = ratings.count()
            n_rows = inter.n_users + (0 if side is None else side.shape[0])
            reg = spark_reg_param(config.regularization, n_rows, inter.n_items, nnz)
            blocks = max(1, min(64, int(self.spark.sparkContext.defaultParallelism)))
            als = ALS(
                rank=config.factors,
                maxIter=config.iterations,
                regParam=reg,
                implicitPrefs=True,
                alpha=1.0,  # the confidence is already in the rating: c = 1 + 1·(c(r) - 1)
                nonnegative=False,
                seed=int(config.seed) % (2**63),
                userCol="row",
                itemCol="item",
                ratingCol="rating",
                numUserBlocks=blocks,
                numItemBlocks=blocks,
                coldStartStrategy="nan",
            )
            model = als.fit(ratings)
            out = np.zeros((inter.n_items, config.factors), dtype=np.float32)
            for row in model.itemFactors.toLocalIterator():
                out[int(row["id"])] = np.asarray(row["features"], dtype=np.float32)
            out *= np.float32(item_factor_scale(n_rows, inter.n_items))
        finally:
            ratings.unpersist()
        self.last_seconds = time.perf_counter() - t
        if progress:
            progress(
                f"Spark ALS ({self.spark.sparkContext.master}, Spark {self.version}): {n_rows} rows x "
                f"{inter.n_items} items, {nnz} ratings, k={config.factors}, {config.iterations} iterations, "
                f"regParam {reg:.4g} (λ {config.regularization:g}), {self.last_seconds:.1f} s"
            )
        if not np.isfinite(out).all() or math.isclose(float(np.abs(out).sum()), 0.0):
            raise ValueError("Spark ALS returned no usable item factors")
        return out


def paths_exist(source: str, paths: list[str]) -> None:
    """Fail early on local paths that do not exist (remote URLs are left to Spark)."""
    for p in paths:
        if "://" not in p and not Path(p).exists():
            raise FileNotFoundError(f"{p}: no such file or folder")
