package dev.moore4j.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The report in a real browser: headless Chromium opens the page from a file, logs no console message, renders
 * every chart at a non-zero size, and takes a screenshot (kept in {@code target/report-browser/}). Skipped, with the
 * reason printed, where Chromium is not installed; {@code .ci/run} installs it so CI always runs this.
 */
class ReportBrowserTest {
    /** The first browser on the PATH, or null. */
    static Path chromium() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
                Path p = Path.of(dir.isEmpty() ? "." : dir, name);
                if (Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        return null;
    }

    record Result(String stdout, List<String> console) {}

    static Result browse(Path browser, Path profile, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(browser.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                "--enable-logging=stderr", "--v=0", "--user-data-dir=" + profile));
        cmd.addAll(Arrays.asList(args));
        Path err = Files.createTempFile(profile.getParent(), "chromium", ".log");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).as("chromium finished (hang guard)").isTrue();
        // the browser's own diagnostics (D-Bus, GPU) go to stderr too; the page's console messages are the CONSOLE lines
        List<String> console = Files.readAllLines(err).stream().filter(l -> l.contains(":CONSOLE")).toList();
        return new Result(out, console);
    }

    @Test
    void chromiumRendersEveryChart(@TempDir Path dir) throws Exception {
        Path browser = chromium();
        if (browser == null) {
            System.out.println("ReportBrowserTest skipped: no chromium on the PATH (apt-get install chromium)");
        }
        assumeTrue(browser != null, "no chromium on the PATH (apt-get install chromium)");
        ReportFixture.build(dir);
        Path page = dir.resolve("report.html");
        HtmlReport.write(dir, null, page);
        Path shots = Path.of("target", "report-browser").toAbsolutePath();
        Files.createDirectories(shots);
        Path shot = shots.resolve("report.png");
        Files.deleteIfExists(shot);
        Result plain = browse(browser, dir.resolve("profile1"), "--window-size=1280,2000", "--screenshot=" + shot, page.toUri().toString());
        assertThat(plain.console()).as("console messages of the page").isEmpty();
        byte[] png = Files.readAllBytes(shot);
        assertThat(png.length).isGreaterThan(10_000);
        assertThat(Arrays.copyOf(png, 4)).containsExactly(0x89, 'P', 'N', 'G');

        // a copy with a probe that writes every chart's rendered size into the DOM, read back with --dump-dom
        String html = Files.readString(page);
        String probe = "<div id=\"svg-sizes\" hidden></div><script>document.getElementById('svg-sizes').textContent = Array.from("
                + "document.querySelectorAll('figure.chart svg')).map(s => { const r = s.getBoundingClientRect(); "
                + "return s.closest('figure').dataset.chart + '=' + Math.round(r.width) + 'x' + Math.round(r.height); }).join(' ');"
                + "document.getElementById('svg-sizes').dataset.overflow = Array.from(document.querySelectorAll('body, body *'))"
                + ".filter(e => e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1)"
                + ".map(e => e.tagName + '.' + e.className + ':' + e.scrollWidth + '>' + e.clientWidth).join(' ');</script>";
        Path probed = dir.resolve("probed.html");
        Files.writeString(probed, html.replace("</body>", probe + "</body>"));
        Result dom = browse(browser, dir.resolve("profile2"), "--window-size=1280,2000", "--dump-dom", probed.toUri().toString());
        assertThat(dom.console()).isEmpty();
        Matcher m = Pattern.compile("<div id=\"svg-sizes\" hidden=\"\" data-overflow=\"([^\"]*)\">([^<]*)</div>").matcher(dom.stdout());
        assertThat(m.find()).as("the probe ran").isTrue();
        assertThat(m.group(1)).as("elements wider than the 1280 px window (clipped, or scrolled sideways)").isEmpty();
        List<String> sizes = Arrays.asList(m.group(2).trim().split(" "));
        assertThat(sizes).hasSize(HtmlReportTest.figures(html).size());
        for (String s : sizes) {
            String[] wh = s.substring(s.indexOf('=') + 1).split("x");
            assertThat(Integer.parseInt(wh[0])).as(s).isPositive().isLessThanOrEqualTo(1280);
            assertThat(Integer.parseInt(wh[1])).as(s).isPositive();
        }
    }

    /**
     * The page as drawn with every chart's repeated styles moved into classes ({@link Charts#compact}) renders pixel for
     * pixel like the same page with each class, and each fill attribute, written back as the inline style it stands for, and
     * each group of shapes sharing a clip written back as shapes that carry it.
     */
    @Test
    void compactStylesRenderLikeInlineStyles(@TempDir Path dir) throws Exception {
        Path browser = chromium();
        assumeTrue(browser != null, "no chromium on the PATH (apt-get install chromium)");
        ReportFixture.build(dir);
        Path page = dir.resolve("report.html");
        HtmlReport.write(dir, null, page);
        String html = Files.readString(page);
        assertThat(html).contains("<style>.c-routing-moore").contains("<g clip-path=");
        Path inline = dir.resolve("inline.html");
        Files.writeString(inline, inlineStyles(html));
        assertThat(Files.readString(inline)).doesNotContain(" class='c-").doesNotContain(" fill='#").doesNotContain("<g clip-path=");
        byte[][] shots = new byte[2][];
        int i = 0;
        for (Path p : List.of(page, inline)) {
            Path shot = dir.resolve("shot" + i + ".png");
            Result r = browse(browser, dir.resolve("profile-c" + i), "--window-size=1280,6000", "--screenshot=" + shot, p.toUri().toString());
            assertThat(r.console()).isEmpty();
            shots[i++] = Files.readAllBytes(shot);
        }
        assertThat(shots[0].length).isGreaterThan(10_000);
        assertThat(shots[0]).as("the two renderings, as PNG bytes").isEqualTo(shots[1]);
    }

    /** Every SVG's {@code <style>} classes written back as inline style attributes, and the style elements removed. */
    static String inlineStyles(String html) {
        Matcher block = Pattern.compile("<style>((?:\\.c-[^{]+\\{[^}]*\\})+)</style>").matcher(html);
        java.util.Map<String, String> styles = new java.util.HashMap<>();
        while (block.find()) {
            Matcher rule = Pattern.compile("\\.(c-[^{]+)\\{([^}]*)\\}").matcher(block.group(1));
            while (rule.find()) {
                styles.put(rule.group(1), rule.group(2));
            }
        }
        String out = block.replaceAll("");
        Matcher use = Pattern.compile(" class='(c-[^']+)'").matcher(out);
        StringBuilder sb = new StringBuilder();
        while (use.find()) {
            use.appendReplacement(sb, Matcher.quoteReplacement(" style='" + styles.get(use.group(1)) + "'"));
        }
        use.appendTail(sb);
        Matcher fill = Pattern.compile(" fill='#(\\p{XDigit}{2})(\\p{XDigit}{2})(\\p{XDigit}{2})'").matcher(sb.toString());
        StringBuilder back = new StringBuilder();
        while (fill.find()) {
            fill.appendReplacement(back, " style='fill:rgb(" + Integer.parseInt(fill.group(1), 16) + "," + Integer.parseInt(fill.group(2), 16) + ","
                    + Integer.parseInt(fill.group(3), 16) + ")'");
        }
        fill.appendTail(back);
        // and each group of shapes sharing a clip back to shapes that carry it one by one
        Matcher group = Pattern.compile("<g clip-path='url\\(#([^)]+)\\)'>((?:<(?:rect|line|path)\\b[^>]*/>)+)</g>").matcher(back.toString());
        StringBuilder ungrouped = new StringBuilder();
        while (group.find()) {
            String clip = " clip-path='url(#" + group.group(1) + ")'/>";
            group.appendReplacement(ungrouped, Matcher.quoteReplacement(group.group(2).replace("/>", clip)));
        }
        group.appendTail(ungrouped);
        return ungrouped.toString();
    }
}
