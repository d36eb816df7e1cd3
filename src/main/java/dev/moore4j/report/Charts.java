package dev.moore4j.report;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYLineAnnotation;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.xy.DeviationRenderer;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.XYDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;
import org.jfree.svg.SVGGraphics2D;
import org.jfree.svg.ViewBox;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.awt.geom.Rectangle2D;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The report's charts, drawn by JFreeChart into an in-memory SVG (JFreeSVG): no files, no fonts embedded,
 * text kept as text so a page prints sharply and a test can read it. Every chart has a title, labelled axes
 * with units, and series coloured by {@link Palette}; all share one style so the report reads as one piece.
 */
public final class Charts {
    static {
        // fonts are measured through AWT, which must not look for a display (a server, CI, a Spark executor)
        System.setProperty("java.awt.headless", "true");
    }

    private Charts() {}

    /** Width of every chart in SVG units; the page scales it to the column (at most 1,200 px wide). */
    public static final int WIDTH = 1100;

    /**
     * One rendered chart: {@code series} are the names of what it draws (one per method, or per row of a heat map),
     * read back from the chart's own datasets, not from what was asked for.
     */
    public record Chart(String id, String title, List<String> series, String svg) {}

    /** A value with an interval, for one method. */
    public record Interval(String name, double value, double low, double high) {}

    /** A line with an optional band (low/high null for none), one per series. */
    public record Line(String name, double[] x, double[] y, double[] low, double[] high) {}

    private static final Font TITLE = new Font("SansSerif", Font.BOLD, 17);
    private static final Font LABEL = new Font("SansSerif", Font.PLAIN, 14);
    private static final Font TICK = new Font("SansSerif", Font.PLAIN, 12);
    private static final Color GRID = new Color(0xDD, 0xDD, 0xDD);

    /** Points with intervals, one method per row (rank order top to bottom); an optional reference line. */
    public static Chart intervals(String id, String title, String valueLabel, List<Interval> items, Double reference, String referenceLabel) {
        YIntervalSeriesCollection ds = new YIntervalSeriesCollection();
        String[] names = new String[items.size()];
        for (int i = 0; i < items.size(); i++) {
            Interval it = items.get(i);
            names[i] = it.name();
            YIntervalSeries s = new YIntervalSeries(it.name());
            s.add(i, it.value(), it.low(), it.high());
            ds.addSeries(s);
        }
        SymbolAxis methods = symbols("", names);
        methods.setInverted(true);
        NumberAxis value = number(valueLabel);
        value.setAutoRangeIncludesZero(false);
        XYErrorRenderer r = new XYErrorRenderer();
        r.setDrawXError(false);
        r.setDrawYError(true);
        r.setDefaultLinesVisible(false);
        r.setCapLength(8);
        r.setErrorStroke(new BasicStroke(2f));
        colour(r, ds);
        XYPlot plot = plot(ds, methods, value, r);
        plot.setOrientation(PlotOrientation.HORIZONTAL);
        if (reference != null) {
            ValueMarker m = new ValueMarker(reference, Color.DARK_GRAY, new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10,
                    new float[] {6, 4}, 0));
            m.setLabel(referenceLabel);
            m.setLabelFont(TICK);
            m.setLabelAnchor(org.jfree.chart.ui.RectangleAnchor.TOP_RIGHT);
            m.setLabelTextAnchor(TextAnchor.TOP_LEFT);
            plot.addRangeMarker(m);
        }
        return render(id, title, plot, false, Math.max(260, 90 + 30 * items.size()));
    }

    /**
     * A heat map: {@code values[row][col]}, rows top to bottom; cells annotated with {@code format} when there are
     * few enough to read; {@code diverging} centres the colour scale on zero (blue below, red above).
     */
    public static Chart heatmap(String id, String title, String colLabel, String[] cols, String rowLabel, String[] rows, double[][] values,
                                String scaleLabel, boolean diverging, String format) {
        return heatmap(id, title, colLabel, cols, rowLabel, rows, values, scaleLabel, diverging, format, 1.0);
    }

    /**
     * As above, with the colour scale ending at the {@code quantile} of the values' magnitudes (1: the largest), so that a
     * few extreme cells do not wash out the rest; cells beyond it take the end colour.
     */
    public static Chart heatmap(String id, String title, String colLabel, String[] cols, String rowLabel, String[] rows, double[][] values,
                                String scaleLabel, boolean diverging, String format, double quantile) {
        int n = rows.length * cols.length;
        double[] xs = new double[n];
        double[] ys = new double[n];
        double[] zs = new double[n];
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (int r = 0; r < rows.length; r++) {
            for (int c = 0; c < cols.length; c++) {
                int i = r * cols.length + c;
                xs[i] = c;
                ys[i] = r;
                zs[i] = values[r][c];
                if (Double.isFinite(values[r][c])) {
                    lo = Math.min(lo, values[r][c]);
                    hi = Math.max(hi, values[r][c]);
                }
            }
        }
        if (!(lo < hi)) { // one value, or none: a scale of width zero cannot be drawn
            lo = Double.isFinite(lo) ? lo - 1e-3 : 0;
            hi = lo + 2e-3;
        }
        if (diverging) {
            double m = quantile < 1 ? quantileOfMagnitudes(zs, quantile) : Math.max(Math.abs(lo), Math.abs(hi));
            m = m > 0 ? m : Math.max(Math.abs(lo), Math.abs(hi));
            lo = -m;
            hi = m;
        }
        DefaultXYZDataset ds = new DefaultXYZDataset();
        ds.addSeries("values", new double[][] {xs, ys, zs});
        XYBlockRenderer r = new Blocks();
        PaintScale scale = diverging ? new Scale(lo, hi, new Color(0x21, 0x66, 0xAC), Color.WHITE, new Color(0xB2, 0x18, 0x2B))
                : new Scale(lo, hi, new Color(0xF7, 0xFB, 0xFF), new Color(0x6B, 0xAE, 0xD6), new Color(0x08, 0x30, 0x6B));
        r.setPaintScale(scale);
        ValueAxis x = cols.length <= 40 ? symbols(colLabel, cols) : number(colLabel);
        SymbolAxis y = symbols(rowLabel, rows);
        y.setInverted(true);
        XYPlot plot = plot(ds, x, y, r);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        x.setRange(-0.5, cols.length - 0.5);
        y.setRange(-0.5, rows.length - 0.5);
        if (format != null && n <= 400) {
            DecimalFormat f = new DecimalFormat(format, java.text.DecimalFormatSymbols.getInstance(Locale.ROOT));
            for (int i = 0; i < n; i++) {
                if (Double.isFinite(zs[i])) {
                    XYTextAnnotation a = new XYTextAnnotation(f.format(zs[i]), xs[i], ys[i]);
                    a.setFont(TICK);
                    Color cell = (Color) scale.getPaint(zs[i]);
                    a.setPaint(luminance(cell) < 0.5 ? Color.WHITE : Color.BLACK);
                    plot.addAnnotation(a);
                }
            }
        }
        NumberAxis scaleAxis = number(scaleLabel);
        scaleAxis.setRange(lo, hi);
        PaintScaleLegend legend = new PaintScaleLegend(scale, scaleAxis);
        legend.setPosition(RectangleEdge.RIGHT);
        legend.setMargin(new RectangleInsets(10, 10, 10, 10));
        legend.setStripWidth(14);
        legend.setAxisOffset(4);
        Chart c = render(id, title, plot, false, Math.max(240, 130 + (rows.length > 16 ? 15 : 26) * rows.length), legend);
        return new Chart(c.id(), c.title(), List.of(rows), c.svg());
    }

    /**
     * Accuracy against a cost, one point per method, with the Pareto front (the methods no other beats on both
     * axes) joined by a dashed line. {@code higherIsBetter} says which way the cost axis improves.
     */
    public static Chart pareto(String id, String title, String xLabel, boolean logX, boolean higherIsBetter, String yLabel,
                               Map<String, double[]> points) {
        XYSeriesCollection ds = new XYSeriesCollection();
        List<double[]> valid = new ArrayList<>();
        for (Map.Entry<String, double[]> e : points.entrySet()) {
            double[] p = e.getValue();
            if (Double.isFinite(p[0]) && Double.isFinite(p[1]) && (!logX || p[0] > 0)) {
                XYSeries s = new XYSeries(e.getKey());
                s.add(p[0], p[1]);
                ds.addSeries(s);
                valid.add(p);
            }
        }
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(false, true);
        colour(r, ds);
        ValueAxis x = logX ? log(xLabel) : number(xLabel);
        NumberAxis y = number(yLabel);
        y.setAutoRangeIncludesZero(false);
        XYPlot plot = plot(ds, x, y, r);
        List<double[]> front = front(valid, higherIsBetter);
        for (int i = 1; i < front.size(); i++) {
            plot.addAnnotation(new XYLineAnnotation(front.get(i - 1)[0], front.get(i - 1)[1], front.get(i)[0], front.get(i)[1],
                    new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {5, 4}, 0), Color.GRAY));
        }
        return render(id, title, plot, true, 380);
    }

    /** The q-quantile of the finite values' magnitudes. */
    static double quantileOfMagnitudes(double[] v, double q) {
        double[] a = java.util.Arrays.stream(v).filter(Double::isFinite).map(Math::abs).sorted().toArray();
        return a.length == 0 ? 0 : a[(int) Math.min(a.length - 1, Math.floor(q * (a.length - 1)))];
    }

    /**
     * Heat-map cells as single filled rectangles: JFreeChart's block renderer also strokes every cell, which
     * doubles the SVG of a layer × expert map for no visible difference.
     */
    private static final class Blocks extends XYBlockRenderer {
        @Override
        public void drawItem(java.awt.Graphics2D g2, org.jfree.chart.renderer.xy.XYItemRendererState state, Rectangle2D dataArea,
                             org.jfree.chart.plot.PlotRenderingInfo info, XYPlot plot, ValueAxis domainAxis, ValueAxis rangeAxis, XYDataset dataset,
                             int series, int item, org.jfree.chart.plot.CrosshairState crosshairState, int pass) {
            double x = dataset.getXValue(series, item);
            double y = dataset.getYValue(series, item);
            double z = ((org.jfree.data.xy.XYZDataset) dataset).getZValue(series, item);
            double x0 = domainAxis.valueToJava2D(x - 0.5, dataArea, plot.getDomainAxisEdge());
            double x1 = domainAxis.valueToJava2D(x + 0.5, dataArea, plot.getDomainAxisEdge());
            double y0 = rangeAxis.valueToJava2D(y - 0.5, dataArea, plot.getRangeAxisEdge());
            double y1 = rangeAxis.valueToJava2D(y + 0.5, dataArea, plot.getRangeAxisEdge());
            g2.setPaint(getPaintScale().getPaint(z));
            // a quarter pixel of overlap keeps browsers from showing hairline seams between cells
            g2.fill(new Rectangle2D.Double(Math.min(x0, x1) - 0.25, Math.min(y0, y1) - 0.25, Math.abs(x1 - x0) + 0.5, Math.abs(y1 - y0) + 0.5));
        }
    }

    /** The points no other point beats on both axes, in cost order. */
    static List<double[]> front(List<double[]> points, boolean higherIsBetter) {
        List<double[]> out = new ArrayList<>();
        for (double[] p : points) {
            boolean dominated = false;
            for (double[] q : points) {
                boolean costAsGood = higherIsBetter ? q[0] >= p[0] : q[0] <= p[0];
                boolean costBetter = higherIsBetter ? q[0] > p[0] : q[0] < p[0];
                if (q != p && costAsGood && q[1] >= p[1] && (costBetter || q[1] > p[1])) {
                    dominated = true;
                    break;
                }
            }
            if (!dominated) {
                out.add(p);
            }
        }
        out.sort(Comparator.comparingDouble(p -> p[0]));
        return out;
    }

    /** Lines, each with a shaded band where it has one; markers on the points when {@code shapes}. */
    public static Chart lines(String id, String title, String xLabel, boolean logX, String yLabel, List<Line> lines, boolean shapes) {
        YIntervalSeriesCollection ds = new YIntervalSeriesCollection();
        for (Line l : lines) {
            YIntervalSeries s = new YIntervalSeries(l.name());
            for (int i = 0; i < l.x().length; i++) {
                if (Double.isFinite(l.y()[i]) && (!logX || l.x()[i] > 0)) {
                    double low = l.low() == null ? l.y()[i] : l.low()[i];
                    double high = l.high() == null ? l.y()[i] : l.high()[i];
                    s.add(l.x()[i], l.y()[i], low, high);
                }
            }
            ds.addSeries(s);
        }
        DeviationRenderer r = new DeviationRenderer(true, shapes);
        r.setAlpha(0.18f);
        colour(r, ds);
        for (int i = 0; i < ds.getSeriesCount(); i++) {
            r.setSeriesFillPaint(i, r.getSeriesPaint(i));
            r.setSeriesStroke(i, new BasicStroke(2f));
        }
        NumberAxis y = number(yLabel);
        y.setAutoRangeIncludesZero(false);
        XYPlot plot = plot(ds, logX ? log(xLabel) : number(xLabel), y, r);
        return render(id, title, plot, true, 400);
    }

    private static XYPlot plot(XYDataset ds, ValueAxis x, ValueAxis y, org.jfree.chart.renderer.xy.XYItemRenderer r) {
        XYPlot plot = new XYPlot(ds, x, y, r);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(GRID);
        plot.setRangeGridlinePaint(GRID);
        plot.setOutlinePaint(Color.GRAY);
        plot.setAxisOffset(new RectangleInsets(4, 4, 4, 4));
        return plot;
    }

    private static NumberAxis number(String label) {
        NumberAxis a = new NumberAxis(label);
        style(a);
        return a;
    }

    /** A base-10 axis with ticks at 1 and 3 of every decade (the rate grids' points), labelled 3e-5, 300, 10k, 3M. */
    private static LogAxis log(String label) {
        LogAxis a = new LogAxis(label);
        a.setBase(10);
        a.setSmallestValue(1e-9);
        a.setTickUnit(new org.jfree.chart.axis.NumberTickUnit(0.5, new Short()));
        a.setMinorTickCount(0);
        a.setNumberFormatOverride(new Short());
        style(a);
        return a;
    }

    /** Short labels for log-axis ticks: one significant digit, e-notation below 0.01, k/M/G above 1,000. */
    static String shortNumber(double v) {
        double d = Double.parseDouble(String.format(Locale.ROOT, "%.0e", v)); // 3.16e-5 is the 3e-5 tick
        if (d != 0 && Math.abs(d) < 0.01) {
            return String.format(Locale.ROOT, "%.0e", d).replace("e-0", "e-");
        }
        String[] suffix = {"", "k", "M", "G", "T"};
        int k = 0;
        while (Math.abs(d) >= 1000 && k < suffix.length - 1) {
            d /= 1000;
            k++;
        }
        return new DecimalFormat("0.##", java.text.DecimalFormatSymbols.getInstance(Locale.ROOT)).format(d) + suffix[k];
    }

    /** {@link #shortNumber} as the number format a log axis asks for. */
    private static final class Short extends java.text.NumberFormat {
        @Override
        public StringBuffer format(double number, StringBuffer to, java.text.FieldPosition pos) {
            return to.append(shortNumber(number));
        }

        @Override
        public StringBuffer format(long number, StringBuffer to, java.text.FieldPosition pos) {
            return to.append(shortNumber(number));
        }

        @Override
        public Number parse(String source, java.text.ParsePosition pos) {
            throw new UnsupportedOperationException("labels only");
        }
    }

    private static SymbolAxis symbols(String label, String[] names) {
        SymbolAxis a = new SymbolAxis(label, names);
        a.setGridBandsVisible(false);
        style(a);
        return a;
    }

    private static void style(ValueAxis a) {
        a.setLabelFont(LABEL);
        a.setTickLabelFont(TICK);
        a.setLabelPaint(Color.BLACK);
        a.setTickLabelPaint(Color.BLACK);
    }

    /** Each series its name's colour. */
    private static void colour(org.jfree.chart.renderer.xy.AbstractXYItemRenderer r, XYDataset ds) {
        for (int i = 0; i < ds.getSeriesCount(); i++) {
            r.setSeriesPaint(i, Palette.of(ds.getSeriesKey(i).toString(), i));
        }
    }

    private static Chart render(String id, String title, XYPlot plot, boolean legend, int height, PaintScaleLegend... extra) {
        JFreeChart chart = new JFreeChart(title, TITLE, plot, legend);
        chart.setBackgroundPaint(Color.WHITE);
        chart.setPadding(new RectangleInsets(6, 6, 6, 12));
        for (PaintScaleLegend e : extra) {
            chart.addSubtitle(e);
        }
        LegendTitle l = chart.getLegend();
        if (l != null) {
            l.setItemFont(LABEL);
            l.setPosition(RectangleEdge.BOTTOM);
            l.setFrame(org.jfree.chart.block.BlockBorder.NONE);
        }
        List<String> series = new ArrayList<>();
        for (int d = 0; d < plot.getDatasetCount(); d++) {
            XYDataset ds = plot.getDataset(d);
            if (ds != null && !(ds instanceof DefaultXYZDataset)) {
                for (int i = 0; i < ds.getSeriesCount(); i++) {
                    series.add(ds.getSeriesKey(i).toString());
                }
            }
        }
        SVGGraphics2D g = new SVGGraphics2D(WIDTH, height);
        g.setGeomDoubleConverter(SvgCompaction::tenths); // a tenth of a unit is finer than any screen or printer
        g.setDefsKeyPrefix(id + "-"); // clip-path ids unique within the page, and the same on every run
        chart.draw(g, new Rectangle2D.Double(0, 0, WIDTH, height));
        String svg = g.getSVGElement(id + "-svg", true, new ViewBox(0, 0, WIDTH, height), null, null);
        return new Chart(id, title, List.copyOf(series), SvgCompaction.compact(SvgCompaction.inline(svg), id, WIDTH, height));
    }

    private static double luminance(Color c) {
        return (0.299 * c.getRed() + 0.587 * c.getGreen() + 0.114 * c.getBlue()) / 255;
    }

    /** A three-stop colour scale from {@code lo} to {@code hi} through the middle. */
    private record Scale(double lo, double hi, Color a, Color mid, Color b) implements PaintScale {
        @Override
        public double getLowerBound() {
            return lo;
        }

        @Override
        public double getUpperBound() {
            return hi;
        }

        @Override
        public Paint getPaint(double v) {
            if (!Double.isFinite(v)) {
                return Color.LIGHT_GRAY;
            }
            double t = Math.max(0, Math.min(1, (v - lo) / (hi - lo)));
            return t < 0.5 ? mix(a, mid, t * 2) : mix(mid, b, (t - 0.5) * 2);
        }

        private static Color mix(Color p, Color q, double t) {
            return new Color((int) Math.round(p.getRed() + t * (q.getRed() - p.getRed())), (int) Math.round(p.getGreen() + t * (q.getGreen() - p.getGreen())),
                    (int) Math.round(p.getBlue() + t * (q.getBlue() - p.getBlue())));
        }
    }
}
