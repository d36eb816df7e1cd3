package dev.moore4j.adapter;

import java.util.List;

/**
 * A method's hyperparameters: a record per method, read from JSON with snake_case keys
 * ({@code --set top_k=2}), validated in its constructor (the error names the key).
 */
public interface MethodConfig {
    /** Target module patterns (see {@link TargetMatcher}); empty = the method's default targets. */
    List<String> targets();
}
