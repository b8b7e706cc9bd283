/** Large payloads (batch contexts, batch results) live here; messages carry their names. */
export interface BlobStore {
  put(name: string, data: string): Promise<void>;
  /** The blob's text, or null when there is none. */
  get(name: string): Promise<string | null>;
  /** Deletes every blob whose name starts with the prefix. */
  deletePrefix(prefix: string): Promise<void>;
}
