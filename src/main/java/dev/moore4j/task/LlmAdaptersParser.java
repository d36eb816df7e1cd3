package dev.moore4j.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.moore4j.MooreException;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** LLM-Adapters JSON: an array of {instruction, answer}, the choices parsed from the instruction. */
final class LlmAdaptersParser implements FormatParser {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** "Answer1: text", "Option2: text", "Solution1: text", "Ending3: text" inside an LLM-Adapters instruction. */
    private static final Pattern NUMBERED_CHOICE = Pattern.compile("(?i)\\b(answer|option|solution|ending)(\\d+):\\s*");

    /**
     * LLM-Adapters JSON: "…question: Q\n\nAnswer1: a Answer2: b …\n\nAnswer format: answer1/answer2/…" with the
     * gold answer in "answer". True/false tasks (BoolQ) have no numbered choices; the answer format is the choice list.
     */
    @Override
    public void parse(List<String> lines, Rows rows) {
        String content = String.join("\n", lines);
        JsonNode root;
        try {
            root = JSON.readTree(content);
        } catch (IOException e) {
            throw new MooreException(rows.file + ": not valid JSON: " + Rows.firstLine(e));
        }
        if (!root.isArray()) {
            throw new MooreException(rows.file + ": expected a JSON array of {instruction, answer} objects");
        }
        for (int i = 0; i < root.size(); i++) {
            JsonNode n = root.get(i);
            int item = i + 1; // "file:N" names the N-th array element
            rows.add(item, () -> item(n, rows.spec, rows.file + ":" + item));
        }
    }

    static Example item(JsonNode n, TaskSpec spec, String where) {
        String instruction = Rows.text(n, "instruction");
        String answer = Rows.text(n, "answer").strip().toLowerCase();
        int formatAt = instruction.lastIndexOf("Answer format:");
        if (formatAt < 0) {
            throw new Rows.BadRow("instruction has no 'Answer format:' line");
        }
        List<String> names = new ArrayList<>();
        for (String s : instruction.substring(formatAt + "Answer format:".length()).strip().split("/")) {
            names.add(s.strip().toLowerCase());
        }
        String body = instruction.substring(0, formatAt).strip();
        Matcher m = NUMBERED_CHOICE.matcher(body);
        List<String> choices = new ArrayList<>();
        String question;
        if (m.find()) {
            question = body.substring(0, m.start()).strip();
            int start = m.end();
            while (m.find()) {
                choices.add(body.substring(start, m.start()).strip());
                start = m.end();
            }
            choices.add(body.substring(start).strip());
        } else {
            question = body;
            choices.addAll(names);
        }
        int colon = question.indexOf(": ");
        if (colon >= 0 && colon < 120) { // drop the instruction ("Please choose the correct answer to the question: ")
            question = question.substring(colon + 2).strip();
        }
        if (choices.size() != names.size()) {
            throw new Rows.BadRow(choices.size() + " choices in the instruction but " + names.size() + " names in its answer format");
        }
        int label = names.indexOf(answer);
        if (label < 0) {
            throw new Rows.BadRow("answer '" + answer + "' is not in the answer format " + names);
        }
        return new Example(spec.name(), question, null, choices, label, Float.NaN, where);
    }
}
