package dev.moore4j.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Documents a {@link TrainConfig} field and makes it a {@code train} option: the field is declared once, and
 * its command-line flag (by default {@code --kebab-case-name}) and help text come from here.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface Flag {
    /** What the field means (the option's help text). */
    String value();

    /** Flag names; empty = {@code --} and the field name in kebab case. */
    String[] names() default {};

    /** For a boolean field: the flag sets it to false ({@code --no-oblivion}). */
    boolean negated() default false;

    /**
     * The field's default, as it would be written in a config file ({@code "128"}, {@code "3e-4"}, {@code "true"});
     * empty: zero, false, null or empty.
     */
    String dflt() default "";

    /** Not a command-line option (set through another flag or the config file). */
    boolean hidden() default false;
}
