package dev.moore4j.serve;

import com.fasterxml.jackson.databind.JsonNode;

import io.javalin.http.Context;

/** One route of the server: its path, and the JSON it answers (status 200), or null when it wrote the response itself. */
interface Endpoint {
    String path();

    JsonNode answer(Context ctx) throws Exception;
}
