import { Admin } from '@platformatic/kafka';

/** Replies are kept this long: a reply topic is read as it is written, so minutes are plenty. */
const REPLY_RETENTION_MS = 10 * 60_000;

/** Creates a front end's reply topic (one partition: one reader) unless it exists. */
export async function ensureReplyTopic(brokers: readonly string[], clientId: string, topic: string): Promise<void> {
  const admin = new Admin({ clientId, bootstrapBrokers: [...brokers] });
  try {
    if ((await admin.listTopics()).includes(topic)) return;
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: -1, configs: [{ name: 'retention.ms', value: String(REPLY_RETENTION_MS) }] }).catch(async (error: unknown) => {
      // Created meanwhile by another start under the same name: fine.
      if (!(await admin.listTopics()).includes(topic)) throw error;
    });
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/** Deletes a reply topic whose name was generated for one process: nobody reads it again. */
export async function deleteReplyTopic(brokers: readonly string[], clientId: string, topic: string): Promise<void> {
  const admin = new Admin({ clientId, bootstrapBrokers: [...brokers], retries: 1 });
  try {
    await admin.deleteTopics({ topics: [topic] });
  } finally {
    await admin.close().catch(() => undefined);
  }
}
