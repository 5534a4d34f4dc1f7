package local.bench.jet;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.jet.Job;
import com.hazelcast.jet.config.JobConfig;
import com.hazelcast.jet.config.ProcessingGuarantee;
import com.hazelcast.jet.core.JobStatus;
import com.hazelcast.jet.kafka.KafkaSinks;
import com.hazelcast.jet.kafka.KafkaSources;
import com.hazelcast.jet.pipeline.Pipeline;
import com.hazelcast.jet.pipeline.StreamStage;
import com.hazelcast.jet.python.PythonServiceConfig;
import com.hazelcast.jet.python.PythonTransforms;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

/**
 * The talk's pipeline, as a benchmark peer: one embedded Jet member running
 * Kafka source -> mapUsingPython -> Kafka sink, the record key carried
 * through. Prints one JSON line per job event on stdout (prefixed
 * {@code jet-peer }) for the bench to read; Hazelcast's own log goes to stderr.
 *
 * <pre>
 * java -jar target/jet-peer.jar --bootstrap 127.0.0.1:9092 --input in --output out \
 *     --guarantee at-least-once --base-dir python --handler-module census_handler
 * </pre>
 */
public final class JetPeer {

    /** Key and value travel to Python as one string, split at the first tab (keys never hold one). */
    static final char KEY_SEPARATOR = '\t';

    private JetPeer() {
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = parse(argv);
        String bootstrap = required(args, "bootstrap");
        String input = required(args, "input");
        String output = required(args, "output");
        ProcessingGuarantee guarantee = guarantee(args.getOrDefault("guarantee", "at-least-once"));
        // 0 = Jet's default (the cooperative thread count: one per core).
        int pythonParallelism = Integer.parseInt(args.getOrDefault("python-parallelism", "0"));
        int sourceParallelism = Integer.parseInt(args.getOrDefault("source-parallelism", "0"));
        long snapshotMs = Long.parseLong(args.getOrDefault("snapshot-interval-ms", "1000"));
        boolean resumeOnFailure = Boolean.parseBoolean(args.getOrDefault("resume-on-failure", "true"));

        Properties consumer = new Properties();
        consumer.setProperty("bootstrap.servers", bootstrap);
        consumer.setProperty("key.deserializer", StringDeserializer.class.getName());
        consumer.setProperty("value.deserializer", StringDeserializer.class.getName());
        consumer.setProperty("auto.offset.reset", "earliest");
        // Jet keeps the offsets in its snapshots; Kafka-side commits would only confuse a resumed job.
        consumer.setProperty("enable.auto.commit", "false");

        Properties producer = new Properties();
        producer.setProperty("bootstrap.servers", bootstrap);
        producer.setProperty("key.serializer", StringSerializer.class.getName());
        producer.setProperty("value.serializer", StringSerializer.class.getName());

        PythonServiceConfig python = new PythonServiceConfig()
                .setBaseDir(required(args, "base-dir"))
                .setHandlerModule(args.getOrDefault("handler-module", "census_handler"));

        Pipeline pipeline = Pipeline.create();
        StreamStage<String> rows = pipeline
                .readFrom(KafkaSources.<String, String, String>kafka(consumer,
                        record -> record.key() + KEY_SEPARATOR + record.value(), input))
                .withoutTimestamps();
        if (sourceParallelism > 0) {
            rows.setLocalParallelism(sourceParallelism);
        }
        StreamStage<String> predicted = rows.apply(PythonTransforms.mapUsingPython(python));
        if (pythonParallelism > 0) {
            predicted.setLocalParallelism(pythonParallelism);
        }
        predicted
                .map(JetPeer::splitKey)
                .writeTo(KafkaSinks.<Map.Entry<String, String>, String, String>kafka(producer, output,
                        Map.Entry::getKey, Map.Entry::getValue));

        HazelcastInstance member = Hazelcast.newHazelcastInstance(memberConfig());
        JobConfig jobConfig = new JobConfig()
                .setName(args.getOrDefault("job-name", "census-" + input))
                .setProcessingGuarantee(guarantee)
                .setSnapshotIntervalMillis(snapshotMs)
                // A failed job keeps its last snapshot while suspended, so resuming it
                // restarts from there: the guarantee survives the restart.
                .setSuspendOnFailure(resumeOnFailure);
        Job job = member.getJet().newJob(pipeline, jobConfig);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                job.cancel();
            } catch (RuntimeException ignored) {
                // already gone
            }
            member.shutdown();
        }));
        event("submitted", "\"guarantee\":\"" + guarantee + "\",\"snapshotIntervalMs\":" + snapshotMs
                + ",\"pythonParallelism\":" + pythonParallelism + ",\"sourceParallelism\":" + sourceParallelism);
        watch(job, resumeOnFailure);
    }

    /** Reports each status change; resumes a job that was suspended by a failure, as an operator would. */
    private static void watch(Job job, boolean resumeOnFailure) throws InterruptedException {
        JobStatus last = null;
        while (true) {
            JobStatus status;
            try {
                status = job.getStatus();
            } catch (IllegalStateException shuttingDown) {
                return; // the shutdown hook stopped the member
            }
            if (status != last) {
                last = status;
                event("status", "\"status\":\"" + status + "\"");
                if (status == JobStatus.SUSPENDED && resumeOnFailure) {
                    String cause = job.getSuspensionCause().description();
                    event("suspended", "\"cause\":" + quote(summary(cause)));
                    job.resume();
                    event("resumed", "");
                } else if (status == JobStatus.FAILED) {
                    String cause = String.valueOf(job.getFuture().handle((r, e) -> e).join());
                    event("failed", "\"cause\":" + quote(summary(cause)));
                    System.exit(3);
                } else if (status == JobStatus.COMPLETED) {
                    System.exit(0);
                }
            }
            Thread.sleep(20);
        }
    }

    private static Map.Entry<String, String> splitKey(String item) {
        int at = item.indexOf(KEY_SEPARATOR);
        if (at < 0) {
            throw new IllegalStateException("handler result without a key: " + item);
        }
        return new SimpleImmutableEntry<>(item.substring(0, at), item.substring(at + 1));
    }

    /** A lone member on the loopback: no discovery, no phone-home, its own cluster name. */
    private static Config memberConfig() {
        Config config = new Config();
        config.setClusterName("bench-jet-" + UUID.randomUUID());
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.logging.type", "jdk");
        config.getJetConfig().setEnabled(true).setResourceUploadEnabled(true);
        config.getNetworkConfig().setPortAutoIncrement(true).getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig join = config.getNetworkConfig().getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        return config;
    }

    private static ProcessingGuarantee guarantee(String name) {
        switch (name) {
            case "none":
                return ProcessingGuarantee.NONE;
            case "at-least-once":
                return ProcessingGuarantee.AT_LEAST_ONCE;
            case "exactly-once":
                return ProcessingGuarantee.EXACTLY_ONCE;
            default:
                throw new IllegalArgumentException("--guarantee must be none, at-least-once or exactly-once, not " + name);
        }
    }

    private static Map<String, String> parse(String[] argv) {
        Map<String, String> args = new HashMap<>();
        for (int i = 0; i < argv.length; i += 2) {
            if (!argv[i].startsWith("--") || i + 1 >= argv.length) {
                throw new IllegalArgumentException("expected --name value pairs, got " + String.join(" ", argv));
            }
            args.put(argv[i].substring(2), argv[i + 1]);
        }
        return args;
    }

    private static String required(Map<String, String> args, String name) {
        String value = args.get(name);
        if (value == null) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
        return value;
    }

    /** A failure's description on one line, cut short: the bench shows it in a table cell. */
    private static String summary(String text) {
        String line = text.replaceAll("\\s*\\R\\s*", " / ").replaceAll("\\s+", " ").trim();
        return line.length() <= 400 ? line : line.substring(0, 400) + "…";
    }

    private static String quote(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    private static void event(String name, String fields) {
        String rest = fields.isEmpty() ? "" : "," + fields;
        System.out.println("jet-peer {\"event\":\"" + name + "\",\"timeMs\":" + System.currentTimeMillis() + rest + "}");
        System.out.flush();
    }
}
