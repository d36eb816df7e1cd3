package dev.moore4j.adapter;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.io.HostTensor;
import dev.moore4j.io.Safetensors;
import dev.moore4j.model.FfnSlot;
import dev.moore4j.model.LinearSlot;
import dev.moore4j.model.TransformerModel;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A base model with one method's modules in its slots: the lifecycle every method shares. The base
 * weights are never parameters, so everything outside the modules is frozen by construction; the
 * modules' parameters are the trainable set, their tensors the state dict.
 */
public final class Adapter {
    private final TransformerModel base;
    private final String method;
    private final MethodConfig config;
    private final List<AdapterModule> modules;

    private Adapter(TransformerModel base, String method, MethodConfig config, List<AdapterModule> modules) {
        this.base = base;
        this.method = method;
        this.config = config;
        this.modules = List.copyOf(modules);
    }

    /** Injects {@code method} with {@code config} into {@code base}. */
    public static <C extends MethodConfig> Adapter attach(TransformerModel base, Method<C> method, C config, AdaptContext ctx) {
        return new Adapter(base, method.name(), config, method.inject(base, config, ctx));
    }

    /** Injects the method named {@code name} with a config of its type. */
    public static Adapter attach(TransformerModel base, String name, MethodConfig config, AdaptContext ctx) {
        return attachUnchecked(base, Methods.get(name), config, ctx);
    }

    @SuppressWarnings("unchecked")
    private static <C extends MethodConfig> Adapter attachUnchecked(TransformerModel base, Method<C> m, MethodConfig config, AdaptContext ctx) {
        if (!m.configType().isInstance(config)) {
            throw new IllegalArgumentException("method " + m.name() + " takes " + m.configType().getSimpleName() + ", got " + config.getClass().getSimpleName());
        }
        return attach(base, m, (C) config, ctx);
    }

    public TransformerModel base() {
        return base;
    }

    public String method() {
        return method;
    }

    public MethodConfig config() {
        return config;
    }

    public List<AdapterModule> modules() {
        return modules;
    }

    public List<Param> parameters() {
        List<Param> out = new ArrayList<>();
        modules.forEach(m -> out.addAll(m.parameters()));
        return out;
    }

    /** Trainable adapter parameters (heads not included). */
    public long trainableCount() {
        return parameters().stream().mapToLong(Param::size).sum();
    }

    /** Switches every module to its fast inference form. */
    public void fold() {
        modules.forEach(AdapterModule::fold);
    }

    public Map<String, HostTensor> state() {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (AdapterModule m : modules) {
            m.state().forEach((k, v) -> {
                if (out.put(k, v) != null) {
                    throw new IllegalStateException("two adapter tensors named " + k);
                }
            });
        }
        return out;
    }

    public void loadState(Safetensors.Reader r) {
        for (AdapterModule m : modules) {
            m.loadState(r);
        }
    }

    /** Router statistics per module since the last call: share of routed tokens per expert. */
    public Map<String, double[]> takeExpertLoad() {
        Map<String, double[]> out = new LinkedHashMap<>();
        for (AdapterModule m : modules) {
            double[] load = m.takeExpertLoad();
            if (load != null) {
                out.put(m.name(), load);
            }
        }
        return out;
    }

    /**
     * Training FLOPs per token over the linear layers (attention scores and norms left out): the modules'
     * own figures, and for every other linear 4·d_in·d_out (output and input gradient), or its forward
     * 2·d_in·d_out when nothing upstream trains (heads only: no backward through the model).
     */
    public double trainFlopsPerToken() {
        Set<String> covered = new HashSet<>();
        double flops = 0;
        for (AdapterModule m : modules) {
            covered.add(m.name());
            flops += m.trainFlopsPerToken();
        }
        for (FfnSlot f : base.ffnSlots()) {
            if (f.replacement() instanceof AdapterModule) {
                f.projections().forEach(p -> covered.add(p.name()));
            }
        }
        double perFrozen = modules.isEmpty() ? 2 : 4;
        for (LinearSlot s : base.linearSlots()) {
            if (!covered.contains(s.name())) {
                flops += perFrozen * s.get().inFeatures() * s.get().outFeatures();
            }
        }
        return flops;
    }

    /** One entry per module: name, kind, trainable parameters. */
    public List<Map<String, Object>> layers() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (AdapterModule m : modules) {
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("name", m.name());
            l.put("module", m.getClass().getSimpleName());
            l.put("trainable", m.parameters().stream().mapToLong(Param::size).sum());
            out.add(l);
        }
        return out;
    }

    public ObjectNode configJson() {
        return MethodConfig.toJson(config);
    }
}
