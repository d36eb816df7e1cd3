package dev.moore4j.cli;

import dev.moore4j.MooreException;
import dev.moore4j.api.AdaptedModel;
import dev.moore4j.tokenizer.ChatTemplate;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

@Command(name = "chat", description = {"A conversation in the terminal with a decoder (or an adapted one), each turn rendered by the checkpoint's own "
        + "chat template, the answer printed as it is generated.", "One line per message; /reset starts over, /exit (or end of input) ends."})
final class ChatCommand implements Runnable {
    @Mixin
    Common common;

    @Mixin
    ModelSource source;

    @Mixin
    SamplingFlags sampling;

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", description = "Decoder with a chat template (an HF directory whose "
            + "tokenizer_config.json has chat_template, or with chat_template.jinja), as --model; with --adapter, defaults to its base model.")
    String model;

    @Option(names = "--system", description = "A system message before the conversation.")
    String system;

    @Option(names = "--max-tokens", description = "Most tokens per answer. Default: ${DEFAULT-VALUE}.")
    int maxTokens = 256;

    @Option(names = "--temperature", description = "0 = greedy. Default: ${DEFAULT-VALUE}.")
    float temperature = 0.7f;

    @Override
    public void run() {
        AdaptedModel.GenerateOptions o = sampling.options("chat", source, maxTokens, temperature);
        String task = sampling.task;
        try (AdaptedModel m = sampling.openDecoder(common, source, model, "chat")) {
            if (m.chatTemplate().isEmpty()) {
                throw new MooreException(source.describe(model) + ": no chat template (no chat_template in tokenizer_config.json, no "
                        + "chat_template.jinja); use moore generate --prompt");
            }
            converse(m, o, task);
        } catch (IOException e) {
            throw new MooreException("chat: cannot read the terminal: " + e.getMessage());
        }
    }

    private void converse(AdaptedModel m, AdaptedModel.GenerateOptions first, String task) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        List<ChatTemplate.Message> conversation = start();
        long turn = 0;
        System.err.println("chat with " + source.describe(model) + (task != null ? " (task " + task + ")" : "") + "; /reset starts over, /exit ends");
        while (true) {
            System.out.print("> ");
            System.out.flush();
            String line = in.readLine();
            if (line == null || line.strip().equals("/exit")) {
                return;
            }
            if (line.strip().equals("/reset")) {
                conversation = start();
                continue;
            }
            if (line.isBlank()) {
                continue;
            }
            conversation.add(new ChatTemplate.Message("user", line));
            var o = first.withSeed(first.seed() + turn++);
            AdaptedModel.Completion c = m.chat(conversation, o, task, piece -> {
                System.out.print(piece);
                System.out.flush();
            });
            System.out.println(c.finishReason().equals("length") ? " […]" : "");
            conversation.add(new ChatTemplate.Message("assistant", c.text()));
        }
    }

    private List<ChatTemplate.Message> start() {
        List<ChatTemplate.Message> c = new ArrayList<>();
        if (system != null) {
            c.add(new ChatTemplate.Message("system", system));
        }
        return c;
    }
}
