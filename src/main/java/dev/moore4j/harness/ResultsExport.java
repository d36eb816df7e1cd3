package dev.moore4j.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.MooreException;

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
import java.util.Set;

/** The exporter of the results store: what a published copy keeps, drops and rounds. */
final class ResultsExport {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ResultsExport() {}

    /**
     * The training loss per step, which is what the report draws: the rate (the schedule, known from the config), the
     * gradient norms and the evaluation scores are left out, and so are the steps when they are just 1, 2, …, n.
     */
    private static JsonNode lossOnly(JsonNode curves) {
        if (!curves.path("loss").isArray()) {
            return curves;
        }
        ObjectNode out = JSON.createObjectNode();
        JsonNode step = curves.path("step");
        boolean plain = step.isArray() && step.size() == curves.get("loss").size();
        for (int i = 0; plain && i < step.size(); i++) {
            plain = step.get(i).asDouble() == i + 1;
        }
        if (step.isArray() && !plain) {
            out.set("step", step);
        }
        out.set("loss", curves.get("loss"));
        return out;
    }

    /** Curves and routing analyses rounded to 4 significant digits: what a chart needs, in about half the bytes. */
    private static JsonNode rounded(JsonNode n) {
        if (n.isObject()) {
            ObjectNode out = JSON.createObjectNode();
            n.fields().forEachRemaining(e -> out.set(e.getKey(), rounded(e.getValue())));
            return out;
        }
        if (n.isArray()) {
            var out = JSON.createArrayNode();
            n.forEach(v -> out.add(rounded(v)));
            return out;
        }
        if (n.isFloatingPointNumber() && Double.isFinite(n.asDouble()) && n.asDouble() != 0) {
            // a decimal node prints 0.00027 where a double prints 2.7E-4
            return JSON.getNodeFactory().numberNode(new java.math.BigDecimal(n.asDouble()).round(new java.math.MathContext(4)).stripTrailingZeros());
        }
        return n;
    }

    /**
     * A compact copy of a database for publishing (docs, sharing), written to a temporary file and renamed into place:
     * predictions as digit strings, curves and routing analyses rounded to 4 significant digits, and what no table or chart
     * reads dropped (the sweep's predictions, the curves of every run but the main ones and all of them but the loss, the
     * routing of every seed but a method's first). Every run row and machine record is kept, so the copy gives the same tables, the same report up to
     * the rounding of its charts, and a suite resumes from it.
     */
    static void write(Connection c, Path target, List<ResultsDb.Row> superseded, Set<String> routingMethods) {
        Path abs = target.toAbsolutePath();
        Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
        try {
            Files.createDirectories(abs.getParent());
            Files.deleteIfExists(tmp);
            try (var st = c.createStatement()) {
                st.execute("VACUUM INTO '" + tmp.toString().replace("'", "''") + "'");
            }
            try (Connection x = DriverManager.getConnection("jdbc:sqlite:" + tmp)) {
                for (ResultsDb.Row r : superseded) {
                    for (String[] t : ResultsDb.SIDE_TABLES) {
                        if (!t[0].equals("machine")) {
                            try (PreparedStatement ps = x.prepareStatement("DELETE FROM " + t[0] + " WHERE suite=? AND kind=? AND method=? AND seed=? AND lr=?")) {
                                ResultsDb.bindKey(ps, r.id());
                                ps.executeUpdate();
                            }
                        }
                    }
                }
                try (var st = x.createStatement()) {
                    st.execute("DELETE FROM predictions WHERE kind = 'sweep'");
                    st.execute("DELETE FROM curves WHERE kind <> 'main'");
                    // the report draws one seed's routing per method: the lowest that has one
                    st.execute("DELETE FROM routing WHERE seed > (SELECT MIN(r.seed) FROM routing r WHERE r.suite = routing.suite "
                            + "AND r.kind = routing.kind AND r.method = routing.method AND r.lr = routing.lr)");
                }
                if (routingMethods != null) {
                    // SQLite reads an empty list, "NOT IN ()", as true for every row: no method kept
                    String kept = String.join(",", java.util.Collections.nCopies(routingMethods.size(), "?"));
                    try (PreparedStatement ps = x.prepareStatement("DELETE FROM routing WHERE method NOT IN (" + kept + ")")) {
                        int i = 1;
                        for (String m : routingMethods) {
                            ps.setString(i++, m);
                        }
                        ps.executeUpdate();
                    }
                }
                rewrite(x, "predictions", "tasks", StoredJson::compactPredictions);
                rewrite(x, "curves", "curves", curves -> rounded(lossOnly(curves)));
                rewrite(x, "routing", "analysis", ResultsExport::rounded);
                try (var st = x.createStatement()) {
                    st.execute("PRAGMA page_size = 1024"); // small pages waste less on the long text values: about a tenth smaller
                    st.execute("VACUUM");
                }
            }
            Files.move(tmp, abs, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (SQLException | IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the first error is the one to report
            }
            throw new MooreException(target + ": cannot export the results database: " + e.getMessage());
        }
    }

    private static void rewrite(Connection x, String table, String column, java.util.function.UnaryOperator<JsonNode> f) throws SQLException {
        List<String[]> rows = new ArrayList<>();
        try (var st = x.createStatement(); ResultSet rs = st.executeQuery("SELECT rowid, " + column + " FROM " + table)) {
            while (rs.next()) {
                rows.add(new String[] {rs.getString(1), rs.getString(2)});
            }
        }
        x.setAutoCommit(false);
        try (PreparedStatement ps = x.prepareStatement("UPDATE " + table + " SET " + column + " = ? WHERE rowid = ?")) {
            for (String[] r : rows) {
                ps.setString(1, f.apply(StoredJson.tree(r[1])).toString());
                ps.setLong(2, Long.parseLong(r[0]));
                ps.executeUpdate();
            }
        }
        x.commit();
        x.setAutoCommit(true);
    }
}
