package dev.moore4j.harness;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.moore4j.MooreException;
import dev.moore4j.eval.TaskPredictions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The results store of a suite: one SQLite row per finished run (config, per-task metrics, oblivion,
 * trainable parameters, speed, memory, commit), keyed by suite, kind (main or sweep), method, seed and
 * rate. A row is written in one transaction after its run's summary exists, so a kill at any moment
 * leaves either no row (the run is redone or resumed) or a complete one (the run is skipped).
 */
public final class ResultsDb implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Connection c;

    /** One stored run. */
    public record Row(RunId id, String runDir, JsonNode config, JsonNode eval,
                      double overall, String oblivionName, double oblivionBefore, double oblivionAfter, long trainable, double examplesPerSecond,
                      double inferenceMsPerExample, double peakRssMb, String commit, JsonNode warnings) {
        public String suite() {
            return id.suite();
        }

        public RunId.Kind kind() {
            return id.kind();
        }

        public String method() {
            return id.method();
        }

        public long seed() {
            return id.seed();
        }

        public double lr() {
            return id.lr();
        }

        /** The same run with another overall score (the suite's {@link OverallScore} applied). */
        public Row withOverall(double score) {
            return new Row(id, runDir, config, eval, score, oblivionName, oblivionBefore, oblivionAfter, trainable, examplesPerSecond,
                    inferenceMsPerExample, peakRssMb, commit, warnings);
        }
    }

    private ResultsDb(Connection c) {
        this.c = c;
    }

    public static ResultsDb open(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            return create(DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath()));
        } catch (SQLException | IOException e) {
            throw new MooreException(file + ": cannot open the results database: " + e.getMessage());
        }
    }

    /** A database that lives only in this process: how a directory of run summaries is reported like a suite. */
    public static ResultsDb inMemory() {
        try {
            return create(DriverManager.getConnection("jdbc:sqlite::memory:"));
        } catch (SQLException e) {
            throw new MooreException("in-memory results database: " + e.getMessage());
        }
    }

    /** The side tables and their one column. */
    static final String[][] SIDE_TABLES = {{"predictions", "tasks"}, {"routing", "analysis"}, {"curves", "curves"}, {"machine", "roofline"}};

    private static ResultsDb create(Connection c) throws SQLException {
        try (var st = c.createStatement()) {
            st.execute("""
                    CREATE TABLE IF NOT EXISTS runs (
                      suite TEXT NOT NULL, kind TEXT NOT NULL, method TEXT NOT NULL, seed INTEGER NOT NULL, lr REAL NOT NULL,
                      run_dir TEXT, config TEXT, eval TEXT, overall REAL, oblivion_name TEXT, oblivion_before REAL, oblivion_after REAL,
                      trainable INTEGER, train_examples_per_s REAL, inference_ms_per_example REAL, peak_rss_mb REAL, commit_id TEXT,
                      warnings TEXT, recorded_at TEXT DEFAULT CURRENT_TIMESTAMP,
                      PRIMARY KEY (suite, kind, method, seed, lr))""");
            // the side tables, one text column each, keyed like the runs: each evaluation example's gold and predicted label per task
            // (predictions.json); a MoORE or mixture run's routing analysis (analysis.json); the curves of summary.json (loss, rate and
            // gradient norm per step, scores per evaluation); where the run ran (summary.json's roofline: GFLOP/s, cores, CPU, MKL path)
            // a suite's own settings that its reports need (so far: the tasks its overall score leaves out, as a JSON list)
            st.execute("CREATE TABLE IF NOT EXISTS suites (suite TEXT NOT NULL PRIMARY KEY, overall_excludes TEXT NOT NULL)");
            for (String[] t : SIDE_TABLES) {
                st.execute("CREATE TABLE IF NOT EXISTS " + t[0] + " (suite TEXT NOT NULL, kind TEXT NOT NULL, method TEXT NOT NULL, seed INTEGER NOT NULL, "
                        + "lr REAL NOT NULL, " + t[1] + " TEXT NOT NULL, PRIMARY KEY (suite, kind, method, seed, lr))");
            }
        }
        return new ResultsDb(c);
    }

    public boolean has(RunId id) {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM runs WHERE suite=? AND kind=? AND method=? AND seed=? AND lr=?")) {
            bindKey(ps, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw new MooreException("results database: " + e.getMessage());
        }
    }

    static void bindKey(PreparedStatement ps, RunId id) throws SQLException {
        ps.setString(1, id.suite());
        ps.setString(2, id.kind().key());
        ps.setString(3, id.method());
        ps.setLong(4, id.seed());
        ps.setDouble(5, id.lr());
    }

    /** Stores a finished run from its {@code summary.json}, and its {@code predictions.json} when the run wrote one. */
    public void record(RunId id, Path runDir, JsonNode summary) {
        JsonNode ob = summary.path("oblivion");
        String obName = null;
        double before = Double.NaN;
        double after = Double.NaN;
        var it = ob.fieldNames();
        while (it.hasNext()) {
            String f = it.next();
            if (f.endsWith("_before")) {
                obName = f.substring(0, f.length() - 7);
                before = ob.get(f).asDouble();
                after = ob.path(obName + "_after").asDouble(Double.NaN);
            }
        }
        String sql = "INSERT OR REPLACE INTO runs (suite, kind, method, seed, lr, run_dir, config, eval, overall, oblivion_name, oblivion_before, "
                + "oblivion_after, trainable, train_examples_per_s, inference_ms_per_example, peak_rss_mb, commit_id, warnings) "
                + "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
        String predictions = StoredJson.readPredictions(runDir);
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            c.setAutoCommit(false); // the run and its predictions land together or not at all
            bindKey(ps, id);
            ps.setString(6, runDir.toString());
            ps.setString(7, summary.path("config").toString());
            ps.setString(8, summary.path("eval").toString());
            ps.setDouble(9, summary.path("eval").path("overall").asDouble(Double.NaN));
            ps.setString(10, obName);
            ps.setDouble(11, before);
            ps.setDouble(12, after);
            ps.setLong(13, summary.path("adapter_trainable_parameters").asLong(summary.path("trainable_parameters").asLong()));
            ps.setDouble(14, summary.path("train_examples_per_second").asDouble());
            ps.setDouble(15, summary.path("inference_ms_per_example").asDouble(-1));
            ps.setDouble(16, summary.path("peak_rss_mb").asDouble(-1));
            ps.setString(17, summary.path("commit").asText("unknown"));
            ps.setString(18, summary.path("warnings").toString());
            ps.executeUpdate();
            side("predictions", "tasks", id, predictions);
            side("routing", "analysis", id, readAnalysis(runDir));
            side("machine", "roofline", id, summary.path("roofline").isObject() ? summary.get("roofline").toString() : null);
            side("curves", "curves", id, summary.path("curves").isObject() ? summary.get("curves").toString() : null);
            c.commit();
        } catch (SQLException e) {
            try {
                c.rollback();
            } catch (SQLException ignored) {
                // the first error is the one to report
            }
            throw new MooreException("results database: cannot record " + runDir + ": " + e.getMessage());
        } finally {
            try {
                c.setAutoCommit(true);
            } catch (SQLException ignored) {
                // the connection is closed with the database
            }
        }
    }

    /** Stores one side table's text for a run (nothing when null), inside the caller's transaction. */
    private void side(String table, String column, RunId id, String text) throws SQLException {
        if (text == null) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT OR REPLACE INTO " + table + " (suite, kind, method, seed, lr, " + column
                + ") VALUES (?,?,?,?,?,?)")) {
            bindKey(ps, id);
            ps.setString(6, text);
            ps.executeUpdate();
        }
    }

    /** The routing analysis beside the run's best checkpoint, else beside its last one (where {@code analyze} was pointed at it). */
    private static String readAnalysis(Path runDir) {
        Path f = runDir.resolve("best").resolve("analysis.json");
        if (!Files.isRegularFile(f)) {
            f = runDir.resolve("last").resolve("analysis.json");
        }
        if (!Files.isRegularFile(f)) {
            return null;
        }
        try {
            return JSON.readTree(f.toFile()).toString();
        } catch (IOException e) {
            throw new MooreException(f + ": cannot read the routing analysis: " + e.getMessage());
        }
    }

    /** A stored MoORE run's routing analysis; a missing node when it has none. */
    public JsonNode routing(RunId id) {
        return StoredJson.tree(stored("routing", "analysis", id));
    }

    /** The text stored for a run in one of the side tables (predictions, curves, routing), or null. */
    private String stored(String table, String column, RunId id) {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + column + " FROM " + table + " WHERE suite=? AND kind=? AND method=? AND seed=? AND lr=?")) {
            bindKey(ps, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        } catch (SQLException e) {
            throw new MooreException("results database: " + e.getMessage());
        }
    }

    /**
     * A compact copy of this database for publishing ({@link ResultsExport}): the same tables and report, a fraction of the
     * bytes, written to a temporary file and renamed into place.
     */
    public void export(Path target) {
        export(target, List.of());
    }

    /** As {@link #export(Path)}, also dropping the predictions, curves and routing of the given runs (their rows stay). */
    public void export(Path target, List<Row> superseded) {
        export(target, superseded, null);
    }

    /** As {@link #export(Path, List)}, keeping the routing analyses of the named methods only (null: of every method). */
    public void export(Path target, List<Row> superseded, java.util.Set<String> routingMethods) {
        ResultsExport.write(c, target, superseded, routingMethods);
    }

    /** A stored run's curves ({@code Trainer#curves}); a missing node when the run has none. */
    public JsonNode curves(RunId id) {
        return StoredJson.tree(stored("curves", "curves", id));
    }

    /** Where a stored run ran (its roofline object); a missing node for runs recorded before it was kept. */
    public JsonNode machine(RunId id) {
        return StoredJson.tree(stored("machine", "roofline", id));
    }

    /** Records which tasks the suite's overall score leaves out ({@link OverallScore}), for reports made from this database alone. */
    public void overallScore(String suite, OverallScore score) {
        try (PreparedStatement ps = c.prepareStatement("INSERT OR REPLACE INTO suites (suite, overall_excludes) VALUES (?, ?)")) {
            ps.setString(1, suite);
            ps.setString(2, JSON.writeValueAsString(score.excluded()));
            ps.executeUpdate();
        } catch (SQLException | JsonProcessingException e) {
            throw new MooreException("results database: " + e.getMessage());
        }
    }

    /** The suite's overall score as recorded; every task when none was (databases written before the setting existed). */
    public OverallScore overallScore(String suite) {
        List<String> stored = strings("SELECT overall_excludes FROM suites WHERE suite=?", suite);
        if (stored.isEmpty()) {
            return OverallScore.ALL_TASKS;
        }
        List<String> excluded = new ArrayList<>();
        StoredJson.tree(stored.get(0)).forEach(t -> excluded.add(t.asText()));
        return new OverallScore(excluded);
    }

    /** The suites recorded in this database, in name order. */
    public List<String> suites() {
        return strings("SELECT DISTINCT suite FROM runs ORDER BY suite");
    }

    /** The first and last time a run of the suite was recorded (UTC, as SQLite wrote it); empty for none. */
    public List<String> recordedBetween(String suite) {
        return strings("SELECT MIN(recorded_at) FROM runs WHERE suite=? UNION ALL SELECT MAX(recorded_at) FROM runs WHERE suite=?", suite, suite)
                .stream().filter(java.util.Objects::nonNull).toList();
    }

    private List<String> strings(String sql, String... args) {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setString(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        } catch (SQLException e) {
            throw new MooreException("results database: " + e.getMessage());
        }
        return out;
    }

    /** A stored run's per-example predictions by task; empty when it has none (runs recorded before they were kept). */
    public Map<String, TaskPredictions> predictions(RunId id) {
        String text = stored("predictions", "tasks", id);
        return text == null ? Map.of() : StoredJson.parsePredictions(StoredJson.tree(text), "results database");
    }

    /** The kinds of run recorded for a suite (main, sweep, single-TASK). */
    public List<RunId.Kind> kinds(String suite) {
        return strings("SELECT DISTINCT kind FROM runs WHERE suite=? ORDER BY kind", suite).stream().map(RunId.Kind::of).toList();
    }

    /** The single-task runs of a suite, every task's. */
    public List<Row> singleRows(String suite) {
        List<Row> out = new ArrayList<>();
        kinds(suite).stream().filter(k -> k instanceof RunId.Single).forEach(k -> out.addAll(rows(suite, k)));
        return out;
    }

    /** The stage runs of a suite's sequential protocol, every order's and replay setting's. */
    public List<Row> stageRows(String suite) {
        List<Row> out = new ArrayList<>();
        kinds(suite).stream().filter(k -> k instanceof RunId.Stage).forEach(k -> out.addAll(rows(suite, k)));
        return out;
    }

    public List<Row> rows(String suite, RunId.Kind kind) {
        List<Row> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT * FROM runs WHERE suite=? AND kind=? ORDER BY method, lr, seed")) {
            ps.setString(1, suite);
            ps.setString(2, kind.key());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Row(new RunId(rs.getString("suite"), RunId.Kind.of(rs.getString("kind")), rs.getString("method"), rs.getLong("seed"),
                            rs.getDouble("lr")),
                            rs.getString("run_dir"), JSON.readTree(rs.getString("config")), JSON.readTree(rs.getString("eval")), nan(rs, "overall"),
                            rs.getString("oblivion_name"), nan(rs, "oblivion_before"), nan(rs, "oblivion_after"), rs.getLong("trainable"),
                            rs.getDouble("train_examples_per_s"), rs.getDouble("inference_ms_per_example"), rs.getDouble("peak_rss_mb"),
                            rs.getString("commit_id"), JSON.readTree(rs.getString("warnings"))));
                }
            }
        } catch (SQLException | JsonProcessingException e) {
            throw new MooreException("results database: " + e.getMessage());
        }
        return out;
    }

    private static double nan(ResultSet rs, String col) throws SQLException {
        double v = rs.getDouble(col);
        return rs.wasNull() ? Double.NaN : v;
    }

    @Override
    public void close() {
        try {
            c.close();
        } catch (SQLException e) {
            throw new MooreException("results database: " + e.getMessage());
        }
    }
}
