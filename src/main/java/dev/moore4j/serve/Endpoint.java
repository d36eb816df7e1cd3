package dev.moore4j.serve;

import com.fasterxml.jackson.databind.JsonNode;

import dev.moore4j.api.AdaptedModel;

import io.javalin.http.Context;

/** One route of the server: its path, and the JSON it answers (status 200), or null when it wrote the response itself. */
abstract class Endpoint {
    protected final Serving serving;
    protected final AdaptedModel model;
    protected final Server.Options options;
    private final String path;

    Endpoint(String path, Serving serving) {
        this.path = path;
        this.serving = serving;
        this.model = serving.model();
        this.options = serving.options();
    }

    final String path() {
        return path;
    }

    abstract JsonNode answer(Context ctx) throws Exception;
}
