package dev.ccpo.policy.model;

import dev.ccpo.policy.ChatMessage;

import java.util.List;

/** Chat templates as plain strings; the tokenizer turns the special-token strings into their ids. */
public final class ChatTemplates {
    /** The system prompt Qwen2.5's own template inserts when the conversation has none. */
    public static final String QWEN25_DEFAULT_SYSTEM = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";

    private ChatTemplates() {}

    /** ChatML: {@code <|im_start|>role\n...<|im_end|>\n}, then the generation prompt. defaultSystem may be null. */
    public static String chatMl(List<ChatMessage> messages, String defaultSystem) {
        StringBuilder sb = new StringBuilder();
        if (defaultSystem != null && (messages.isEmpty() || !"system".equals(messages.get(0).role()))) {
            sb.append("<|im_start|>system\n").append(defaultSystem).append("<|im_end|>\n");
        }
        for (ChatMessage m : messages) {
            sb.append("<|im_start|>").append(m.role()).append('\n').append(m.content()).append("<|im_end|>\n");
        }
        return sb.append("<|im_start|>assistant\n").toString();
    }

    /** Llama 3: {@code <|begin_of_text|><|start_header_id|>role<|end_header_id|>\n\n...<|eot_id|>}, then the generation prompt. */
    public static String llama3(List<ChatMessage> messages) {
        StringBuilder sb = new StringBuilder("<|begin_of_text|>");
        for (ChatMessage m : messages) {
            sb.append("<|start_header_id|>").append(m.role()).append("<|end_header_id|>\n\n")
                    .append(m.content().strip()).append("<|eot_id|>");
        }
        return sb.append("<|start_header_id|>assistant<|end_header_id|>\n\n").toString();
    }

    /** The template of the family: qwen2 -> ChatML with Qwen2.5's default system prompt, llama -> Llama 3. */
    public static String render(String family, List<ChatMessage> messages) {
        return switch (family) {
            case "qwen2" -> chatMl(messages, QWEN25_DEFAULT_SYSTEM);
            case "llama" -> llama3(messages);
            default -> throw new IllegalArgumentException("no chat template for model family " + family);
        };
    }
}
