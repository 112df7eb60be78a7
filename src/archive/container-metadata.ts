// config.dump and spec.dump for a plain process: the two JSON files `checkpointctl show` reads
// (lib/metadata.go ContainerConfig; an OCI runtime-spec Spec of which it reads the annotations),
// written the way Podman writes them, with no rootfs image and no runtime, since there is none.
import type { Manifest } from '../integrity/manifest.js';

/** The engine named in spec.dump's `io.container.manager` annotation. */
const MANAGER = 'node-criu';

/**
 * The fields of Podman's config.dump that checkpointctl reads (its ContainerConfig); the rootfs
 * image fields and the runtime are left out, as Podman leaves out empty ones (`omitempty`).
 */
export interface ConfigDump {
  id: string;
  name: string;
  createdTime: string;
  checkpointedTime: string;
  restored: false;
}

/** An OCI runtime spec reduced to what is true of a plain process: the version and annotations. */
export interface SpecDump {
  ociVersion: string;
  annotations: Record<string, string>;
}

/** The checkpoint's facts that go into both files. */
export interface ArchiveFacts {
  /** The root's command (comm), or `pid-N` when the images do not say. */
  name: string;
  /** An id for the checkpoint: the digest of its manifest, as a container id is 64 hex digits. */
  id: string;
  manifest: Manifest;
}

/** config.dump: `createdTime` and `checkpointedTime` are when the checkpoint was made (Go's time.Time reads RFC 3339). */
export function configDump({ name, id, manifest }: ArchiveFacts): ConfigDump {
  return { id, name, createdTime: manifest.createdAt, checkpointedTime: manifest.createdAt, restored: false };
}

/**
 * spec.dump. checkpointctl picks the engine by `io.container.manager` ('libpod' Podman, 'cri-o'
 * CRI-O, anything else containerd) and, on the containerd path, takes the name from
 * `io.kubernetes.cri.container-name`: set, so `show` lists the command as the container's name.
 */
export function specDump({ name, manifest }: ArchiveFacts): SpecDump {
  return {
    ociVersion: '1.0.0',
    annotations: {
      'io.container.manager': MANAGER,
      'io.kubernetes.cri.container-name': name,
      'org.node-criu.pid': String(manifest.pid),
      'org.node-criu.backend': manifest.backend,
      ...(manifest.criuVersion ? { 'org.node-criu.criu-version': manifest.criuVersion } : {}),
    },
  };
}
