package dev.moore4j.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The {@code bin/moore …} commands that Markdown pages show, in fenced blocks and inline code, as argument lists: what
 * a reader would type. Parsing them with picocli (nothing runs) catches documentation that no longer matches the CLI.
 */
public final class DocumentedCommands {
    /** One command: where it is written and its arguments after {@code bin/moore}. */
    public record Command(String where, String text, List<String> args) {}

    private static final Pattern INLINE = Pattern.compile("`([^`]*)`");
    private static final Pattern START = Pattern.compile("(?:^|[\\s;&(=])bin/moore(?=\\s|$|[;&|)])");

    private DocumentedCommands() {}

    /** README.md and every page under docs/ of the repository at {@code root}. */
    public static List<Path> pages(Path root) {
        List<Path> pages = new ArrayList<>(List.of(root.resolve("README.md")));
        try (Stream<Path> s = Files.walk(root.resolve("docs"))) {
            s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return pages;
    }

    /** The commands of a page; a command with a "…" (an elided example) is left out. */
    public static List<Command> in(Path page, String markdown) {
        List<Command> out = new ArrayList<>();
        String[] lines = markdown.split("\n", -1);
        boolean fenced = false;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            int first = i + 1;
            if (line.strip().startsWith("```")) {
                fenced = !fenced;
                continue;
            }
            List<String> spans = new ArrayList<>();
            if (fenced) {
                StringBuilder joined = new StringBuilder(line);
                while (joined.toString().stripTrailing().endsWith("\\") && i + 1 < lines.length) { // a continued shell line
                    String s = joined.toString().stripTrailing();
                    joined.setLength(0);
                    joined.append(s, 0, s.length() - 1).append(' ').append(lines[++i]);
                }
                spans.add(joined.toString());
            } else {
                Matcher m = INLINE.matcher(line);
                while (m.find()) {
                    spans.add(m.group(1));
                }
            }
            for (String span : spans) {
                Matcher m = START.matcher(span);
                while (m.find()) {
                    String text = span.substring(m.end());
                    List<String> args = words(text);
                    if (!args.contains("…")) {
                        out.add(new Command(page + ":" + first, "bin/moore" + text, args));
                    }
                }
            }
        }
        return out;
    }

    /**
     * Shell words up to the end of the command: a comment, a pipe, a redirection, a separator or a closing parenthesis.
     * Quotes, backslashes and {@code $'…'} strings are read as bash reads them; variables stay as written.
     */
    static List<String> words(String s) {
        List<String> words = new ArrayList<>();
        StringBuilder w = null;
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c)) {
                if (w != null) {
                    words.add(w.toString());
                    w = null;
                }
                i++;
                continue;
            }
            if (w == null && (c == '#' || c == '|' || c == ';' || c == '&' || c == '>' || c == ')' || c == '<'
                    || (c == '2' && s.startsWith("2>", i)))) {
                break;
            }
            if (w != null && (c == '|' || c == ';' || c == '>' || c == ')')) {
                break;
            }
            if (w == null) {
                w = new StringBuilder();
            }
            if (c == '$' && i + 1 < s.length() && s.charAt(i + 1) == '\'') {
                i = quoted(s, i + 2, '\'', true, w);
            } else if (c == '\'') {
                i = quoted(s, i + 1, '\'', false, w);
            } else if (c == '"') {
                i = quoted(s, i + 1, '"', false, w);
            } else if (c == '\\' && i + 1 < s.length()) {
                w.append(s.charAt(i + 1));
                i += 2;
            } else {
                w.append(c);
                i++;
            }
        }
        if (w != null) {
            words.add(w.toString());
        }
        return words;
    }

    /** A quoted string from just after its opening quote; returns the index after its closing quote. */
    private static int quoted(String s, int from, char quote, boolean ansiC, StringBuilder w) {
        int i = from;
        while (i < s.length() && s.charAt(i) != quote) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length() && (ansiC || (quote == '"' && "$`\"\\".indexOf(s.charAt(i + 1)) >= 0))) {
                char next = s.charAt(i + 1);
                w.append(!ansiC ? next : switch (next) {
                    case 'n' -> '\n';
                    case 't' -> '\t';
                    default -> next;
                });
                i += 2;
            } else {
                w.append(c);
                i++;
            }
        }
        return Math.min(i + 1, s.length());
    }
}
