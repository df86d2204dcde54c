package io.github.diffusej.train.data;

import io.github.diffusej.data.DatasetException;
import io.github.diffusej.io.SafetensorsException;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.io.SafetensorsWriter;
import io.github.diffusej.io.TensorInfo;
import io.github.diffusej.io.Dtype;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * VAE posteriors of training examples by {@link LatentKey}, so that a frozen VAE encodes each (image, placement)
 * once per run (kohya's {@code cache_latents} / {@code cache_latents_to_disk}, invoke-training's VAE cache).
 *
 * <p>Two stores: {@link #inMemory} (a map; nothing is evicted: each entry holds {@link CachedLatents#bytes()}, 8 x C x h x
 * w bytes, 128 KiB for a 512 x 512 SD image, 128 MiB per 1000 images and placement) and {@link #onDisk} (one
 * {@code <run>/cache/latents/<key>.safetensors} per entry, written atomically, tensors {@code mean} and {@code std}
 * as F32 and the key's text in the metadata). A disk entry that cannot be read, has the wrong key text, wrong shapes,
 * dtypes or non-finite values is deleted and reported as a miss, so the trainer recomputes it: a cache file is never
 * trusted.
 *
 * <p>Each distinct placement is its own entry: with random crops nearly every step is a miss and the cache only
 * costs; kohya refuses {@code cache_latents} with {@code random_crop} for that reason. Random flips double the
 * entries.
 */
public abstract sealed class LatentCache permits LatentCache.Memory, LatentCache.Disk {

	/** Computes the latents of a miss (the trainer's VAE encode). */
	@FunctionalInterface
	public interface Encoder {
		CachedLatents encode() throws IOException;
	}

	/**
	 * Counts since the cache was made.
	 *
	 * @param hits lookups answered
	 * @param misses lookups not answered (including discarded entries)
	 * @param discarded disk entries found damaged and deleted
	 */
	public record Stats(long hits, long misses, long discarded) {}

	private final String vaeIdentity;
	private final FileHashes hashes = new FileHashes();
	final AtomicLong hits = new AtomicLong();
	final AtomicLong misses = new AtomicLong();
	final AtomicLong discarded = new AtomicLong();

	LatentCache(String vaeIdentity) {
		if (vaeIdentity == null || vaeIdentity.isBlank()) throw new IllegalArgumentException("a VAE identity is needed");
		this.vaeIdentity = vaeIdentity;
	}

	/** A cache in the JVM's memory, for this run only. */
	public static LatentCache inMemory(String vaeIdentity) {
		return new Memory(vaeIdentity);
	}

	/** A cache in {@code <runDir>/cache/latents/}, kept across resumes of the run. */
	public static LatentCache onDisk(Path runDir, String vaeIdentity) {
		return new Disk(runDir.resolve("cache").resolve("latents"), vaeIdentity);
	}

	public String vaeIdentity() {
		return vaeIdentity;
	}

	/** The key of an image file under a placement (the file's hash is remembered while it does not change). */
	public LatentKey key(Path image, Placement p) throws DatasetException {
		return LatentKey.of(hashes.sha256(image), p, vaeIdentity);
	}

	/** The cached latents, or null when there are none (or the stored ones were damaged and are now deleted). */
	public abstract CachedLatents get(LatentKey key) throws IOException;

	/** Stores latents (replacing any under the same key). */
	public abstract void put(LatentKey key, CachedLatents latents) throws IOException;

	/** Cached latents, or {@code encoder}'s, stored before they are returned. */
	public CachedLatents getOrCompute(LatentKey key, Encoder encoder) throws IOException {
		CachedLatents l = get(key);
		if (l != null) return l;
		l = encoder.encode();
		put(key, l);
		return l;
	}

	public Stats stats() {
		return new Stats(hits.get(), misses.get(), discarded.get());
	}

	static final class Memory extends LatentCache {

		private final Map<String, CachedLatents> map = new ConcurrentHashMap<>();

		Memory(String vaeIdentity) {
			super(vaeIdentity);
		}

		@Override
		public CachedLatents get(LatentKey key) {
			CachedLatents l = map.get(key.hash());
			(l == null ? misses : hits).incrementAndGet();
			return l;
		}

		@Override
		public void put(LatentKey key, CachedLatents latents) {
			map.put(key.hash(), latents);
		}

		/** Entries held. */
		public int size() {
			return map.size();
		}

		/** Bytes held by the latents. */
		public long bytes() {
			long b = 0;
			for (CachedLatents l : map.values()) b += l.bytes();
			return b;
		}
	}

	static final class Disk extends LatentCache {

		static final String KEY_METADATA = "diffusej.latent_key";
		private final Path dir;

		Disk(Path dir, String vaeIdentity) {
			super(vaeIdentity);
			this.dir = dir;
		}

		Path file(LatentKey key) {
			return dir.resolve(key.hash() + ".safetensors");
		}

		@Override
		public CachedLatents get(LatentKey key) throws IOException {
			Path f = file(key);
			if (!Files.isRegularFile(f)) {
				misses.incrementAndGet();
				return null;
			}
			CachedLatents l;
			try (SafetensorsFile sf = SafetensorsFile.open(f)) {
				l = read(sf, key);
			}
			catch (SafetensorsException e) {
				l = null;
			}
			if (l == null) {
				discarded.incrementAndGet();
				misses.incrementAndGet();
				try {
					Files.deleteIfExists(f);
				}
				catch (IOException e) {
					// put() replaces it atomically; a file that cannot be deleted now is not trusted either way
				}
				return null;
			}
			hits.incrementAndGet();
			return l;
		}

		/** The latents of a sound file, or null when anything about it is wrong. */
		private static CachedLatents read(SafetensorsFile sf, LatentKey key) throws IOException {
			if (!key.description().equals(sf.metadata().get(KEY_METADATA))) return null;
			if (!sf.contains("mean") || !sf.contains("std")) return null;
			TensorInfo m = sf.info("mean");
			TensorInfo s = sf.info("std");
			if (m.dtype() != Dtype.F32 || s.dtype() != Dtype.F32 || !Arrays.equals(m.shape(), s.shape())
				|| m.shape().length != 3 || m.numel() == 0) return null;
			float[] mean = sf.floats("mean");
			float[] std = sf.floats("std");
			for (int i = 0; i < mean.length; i++) {
				if (!Float.isFinite(mean[i]) || !Float.isFinite(std[i]) || std[i] < 0) return null;
			}
			return new CachedLatents(m.shape(), mean, std);
		}

		@Override
		public void put(LatentKey key, CachedLatents latents) throws IOException {
			long[] shape = latents.shape();
			new SafetensorsWriter()
				.metadata(KEY_METADATA, key.description())
				.putFloats("mean", shape, latents.mean())
				.putFloats("std", shape, latents.std())
				.write(file(key));
		}
	}
}
