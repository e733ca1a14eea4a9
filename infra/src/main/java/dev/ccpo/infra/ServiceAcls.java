package dev.ccpo.infra;

import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

import java.util.ArrayList;
import java.util.List;

import static org.apache.kafka.common.acl.AclOperation.ALL;
import static org.apache.kafka.common.acl.AclOperation.DESCRIBE;
import static org.apache.kafka.common.acl.AclOperation.READ;
import static org.apache.kafka.common.acl.AclOperation.WRITE;

/**
 * The least-privilege ACLs of each service on a cluster with an authorizer, for the default topic names, consumer
 * groups and transactional ids (README "Access control" lists the same). What each service reads, writes and which
 * ids it uses is decided in its own code; this is the one place that turns that into ACLs.
 */
public final class ServiceAcls {
    public static final List<String> SERVICES = List.of("generator", "counterfactual", "credit", "learner", "analytics");

    private final String principal;
    private final List<AclBinding> bindings = new ArrayList<>();

    private ServiceAcls(String principal) {
        this.principal = principal;
    }

    /**
     * @param service     one of {@link #SERVICES}
     * @param principal   e.g. {@code User:credit}
     * @param creditAppId the credit app's application.id (its group, transactional ids and internal topics)
     */
    public static List<AclBinding> of(String service, String principal, String creditAppId) {
        ServiceAcls a = new ServiceAcls(principal);
        switch (service) {
            case "generator" -> a.read("ccpo.tasks").read("ccpo.weights").group("ccpo-generator")
                    .write("ccpo.trajectories").write("ccpo.dlq");
            case "counterfactual" -> a.read("ccpo.trajectories").read("ccpo.weights").group("ccpo-counterfactual")
                    .write("ccpo.counterfactuals").write("ccpo.dlq").transactionalIdPrefix("ccpo-counterfactual-");
            case "credit" -> a.read("ccpo.trajectories").read("ccpo.counterfactuals").read("ccpo.rollout-stats")
                    .write("ccpo.advantages").write("ccpo.rollout-stats").write("ccpo.dlq").group(creditAppId)
                    .transactionalIdPrefix(creditAppId + "-")
                    // Kafka Streams creates and uses its repartition and changelog topics, all named <application.id>-...
                    .allow(ResourceType.TOPIC, PatternType.PREFIXED, creditAppId + "-", ALL);
            case "learner" -> a.read("ccpo.advantages").group("ccpo-learner").write("ccpo.weights").write("ccpo.dlq")
                    .transactionalIdPrefix("ccpo-learner-");
            case "analytics" -> a.allow(ResourceType.TOPIC, PatternType.PREFIXED, "ccpo.", READ, DESCRIBE)
                    .allow(ResourceType.GROUP, PatternType.PREFIXED, "ccpo-analytics", READ)
                    // the lag table reads the services' committed offsets
                    .allow(ResourceType.GROUP, PatternType.PREFIXED, "ccpo-", DESCRIBE)
                    .allow(ResourceType.GROUP, PatternType.LITERAL, creditAppId, DESCRIBE);
            default -> throw new IllegalArgumentException("unknown service '" + service + "'; expected one of " + SERVICES);
        }
        return List.copyOf(a.bindings);
    }

    private ServiceAcls read(String topic) {
        return allow(ResourceType.TOPIC, PatternType.LITERAL, topic, READ, DESCRIBE);
    }

    private ServiceAcls write(String topic) {
        return allow(ResourceType.TOPIC, PatternType.LITERAL, topic, WRITE, DESCRIBE);
    }

    private ServiceAcls group(String id) {
        return allow(ResourceType.GROUP, PatternType.LITERAL, id, READ, DESCRIBE);
    }

    private ServiceAcls transactionalIdPrefix(String prefix) {
        return allow(ResourceType.TRANSACTIONAL_ID, PatternType.PREFIXED, prefix, WRITE, DESCRIBE);
    }

    private ServiceAcls allow(ResourceType type, PatternType pattern, String name, AclOperation... operations) {
        for (AclOperation op : operations) {
            bindings.add(new AclBinding(new ResourcePattern(type, name, pattern),
                    new AccessControlEntry(principal, "*", op, AclPermissionType.ALLOW)));
        }
        return this;
    }
}
