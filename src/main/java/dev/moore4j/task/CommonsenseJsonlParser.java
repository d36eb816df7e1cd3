package dev.moore4j.task;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/** The original JSON Lines of WinoGrande, CommonsenseQA, BoolQ (with passage) and HellaSwag, told apart by their fields. */
final class CommonsenseJsonlParser implements FormatParser {
    @Override
    public void parse(List<String> lines, Rows rows) {
        rows.jsonLines(lines, (node, where) -> example(node, where, rows.spec));
    }

    private static Example example(JsonNode n, String where, TaskSpec spec) {
        if (n.has("sentence") && n.has("option1")) { // WinoGrande
            int label = switch (Rows.text(n, "answer")) {
                case "1" -> 0;
                case "2" -> 1;
                default -> throw new Rows.BadRow("field 'answer' must be \"1\" or \"2\"");
            };
            return new Example(spec.name(), Rows.text(n, "sentence"), null, List.of(Rows.text(n, "option1"), Rows.text(n, "option2")), label, Float.NaN, where);
        }
        if (n.path("question").has("stem")) { // CommonsenseQA
            JsonNode q = n.get("question");
            List<String> keys = new ArrayList<>();
            List<String> choices = new ArrayList<>();
            for (JsonNode c : q.path("choices")) {
                keys.add(Rows.text(c, "label"));
                choices.add(Rows.text(c, "text"));
            }
            int label = keys.indexOf(Rows.text(n, "answerKey"));
            if (choices.size() < 2 || label < 0) {
                throw new Rows.BadRow("answerKey '" + n.path("answerKey").asText() + "' is not one of the choice labels " + keys);
            }
            return new Example(spec.name(), Rows.text(q, "stem"), null, choices, label, Float.NaN, where);
        }
        if (n.has("passage") && n.has("question")) { // BoolQ with passage
            boolean answer = n.path("answer").asBoolean();
            return new Example(spec.name(), Rows.text(n, "question") + "?", Rows.text(n, "passage"), List.of("true", "false"), answer ? 0 : 1, Float.NaN, where);
        }
        if (n.has("ctx") && n.has("endings")) { // HellaSwag
            List<String> endings = new ArrayList<>();
            n.get("endings").forEach(e -> endings.add(e.asText()));
            int label = n.path("label").asInt(-1);
            if (label < 0 || label >= endings.size()) {
                throw new Rows.BadRow("field 'label' is not an index into 'endings'");
            }
            return new Example(spec.name(), Rows.text(n, "ctx"), null, endings, label, Float.NaN, where);
        }
        throw new Rows.BadRow("unrecognised JSON Lines row (expected WinoGrande, CommonsenseQA, BoolQ or HellaSwag fields)");
    }
}
