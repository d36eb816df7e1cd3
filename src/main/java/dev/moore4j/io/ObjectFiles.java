package dev.moore4j.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import dev.moore4j.MooreException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads a JSON (.json) or YAML (other names) file that must hold one object, with errors naming the file. */
public final class ObjectFiles {
    private ObjectFiles() {}

    public static JsonNode read(Path file, String what) {
        if (!Files.isRegularFile(file)) {
            throw new MooreException(file + ": " + what + " file not found");
        }
        JsonNode n;
        try {
            ObjectMapper m = file.toString().endsWith(".json") ? new ObjectMapper() : new ObjectMapper(new YAMLFactory());
            n = m.readTree(file.toFile());
        } catch (IOException e) {
            throw new MooreException(file + ": cannot parse " + what + ": " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (n == null || !n.isObject()) {
            throw new MooreException(file + ": a " + what + " must be an object");
        }
        return n;
    }
}
