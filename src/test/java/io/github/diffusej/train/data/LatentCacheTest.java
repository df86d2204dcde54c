package io.github.diffusej.train.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.diffusej.io.SafetensorsWriter;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LatentCacheTest {

	@TempDir
	Path dir;

	private static final String VAE = "vae=/models/tiny-sd1 sha256:abc dtype=float32 scaling=0.18215";

	private static CachedLatents latents(long seed) {
		Random r = new Random(seed);
		float[] m = new float[4 * 2 * 3];
		float[] s = new float[m.length];
		for (int i = 0; i < m.length; i++) {
			m[i] = (float) r.nextGaussian();
			s[i] = r.nextFloat();
		}
		return new CachedLatents(new long[] {4, 2, 3}, m, s);
	}

	private Path image(String name, long seed) throws IOException {
		return TestImages.png(TestImages.rgb(80, 64, seed), dir.resolve(name));
	}

	@Test
	void theKeyChangesWithEveryPartThatChangesTheLatents() throws IOException {
		Path img = image("a.png", 1);
		Path copy = Files.copy(img, dir.resolve("copy.png"));
		LatentCache cache = LatentCache.inMemory(VAE);
		ImageSize s = new ImageSize(80, 64);
		Bucket b = new Bucket(64, 64);
		Placement base = new Placement(s, b, 80, 64, 8, 0, false);
		LatentKey k = cache.key(img, base);
		assertEquals(k, cache.key(img, new Placement(s, b, 80, 64, 8, 0, false)), "same inputs, same key");
		assertEquals(k, cache.key(copy, base), "the key follows the bytes, not the path");
		assertEquals(64, k.hash().length());
		Set<String> keys = new HashSet<>();
		keys.add(k.hash());
		keys.add(cache.key(img, new Placement(s, b, 80, 64, 9, 0, false)).hash()); // crop left
		keys.add(cache.key(img, new Placement(s, new Bucket(64, 32), 80, 64, 8, 0, false)).hash()); // bucket
		keys.add(cache.key(img, new Placement(s, b, 80, 64, 8, 0, true)).hash()); // flip
		keys.add(cache.key(img, new Placement(s, b, 81, 65, 8, 0, false)).hash()); // resized size
		keys.add(cache.key(img, new Placement(s, b, 80, 66, 8, 1, false)).hash()); // crop top
		keys.add(LatentCache.inMemory(VAE + " fp16").key(img, base).hash()); // VAE
		keys.add(cache.key(image("b.png", 2), base).hash()); // other bytes
		assertEquals(8, keys.size());

		// rewriting the file changes the key (size and time differ, so the remembered hash is not used)
		BufferedImage other = TestImages.rgb(80, 64, 3);
		TestImages.png(other, img);
		Files.setLastModifiedTime(img, FileTime.fromMillis(Files.getLastModifiedTime(img).toMillis() + 5000));
		assertNotEquals(k, cache.key(img, base));
		assertTrue(k.description().contains("crop=8,0") && k.description().contains(VAE), k.description());
	}

	@Test
	void memoryCacheStoresAndCounts() throws IOException {
		LatentCache c = LatentCache.inMemory(VAE);
		Path img = image("a.png", 1);
		LatentKey k = c.key(img, Placement.centred(new ImageSize(80, 64), new Bucket(64, 64), false));
		assertNull(c.get(k));
		AtomicInteger encodes = new AtomicInteger();
		CachedLatents l = latents(1);
		assertEquals(l, c.getOrCompute(k, () -> {
			encodes.incrementAndGet();
			return l;
		}));
		assertEquals(l, c.getOrCompute(k, () -> {
			encodes.incrementAndGet();
			return latents(2);
		}));
		assertEquals(1, encodes.get());
		assertEquals(new LatentCache.Stats(1, 2, 0), c.stats());
		assertEquals(1, ((LatentCache.Memory) c).size());
		assertEquals(8 * 24, ((LatentCache.Memory) c).bytes());
	}

	@Test
	void diskCacheSurvivesTheProcessAndLivesInTheRunFolder() throws IOException {
		Path run = dir.resolve("run");
		Path img = image("a.png", 1);
		Placement p = Placement.centred(new ImageSize(80, 64), new Bucket(64, 64), true);
		LatentCache first = LatentCache.onDisk(run, VAE);
		LatentKey k = first.key(img, p);
		first.put(k, latents(3));
		Path file = run.resolve("cache/latents/" + k.hash() + ".safetensors");
		assertTrue(Files.isRegularFile(file));
		LatentCache resumed = LatentCache.onDisk(run, VAE);
		assertEquals(latents(3), resumed.get(resumed.key(img, p)));
		assertEquals(new LatentCache.Stats(1, 0, 0), resumed.stats());
		// another VAE finds nothing
		assertNull(LatentCache.onDisk(run, VAE + " other").get(LatentCache.onDisk(run, VAE + " other").key(img, p)));
	}

	@Test
	void damagedCacheFilesAreDeletedAndRecomputed() throws IOException {
		Path run = dir.resolve("run");
		Path img = image("a.png", 1);
		LatentCache c = LatentCache.onDisk(run, VAE);
		LatentKey k = c.key(img, Placement.centred(new ImageSize(80, 64), new Bucket(64, 64), false));
		LatentKey k2 = c.key(img, Placement.centred(new ImageSize(80, 64), new Bucket(64, 64), true));
		Path file = run.resolve("cache/latents/" + k.hash() + ".safetensors");

		List<Runnable> damage = List.of(
			() -> truncate(file),
			() -> write(file, new byte[] {1, 2, 3}),
			() -> {
				// a sound file of another key, under this key's name
				try {
					c.put(k2, latents(4));
					Files.copy(run.resolve("cache/latents/" + k2.hash() + ".safetensors"), file,
						java.nio.file.StandardCopyOption.REPLACE_EXISTING);
				}
				catch (IOException e) {
					throw new RuntimeException(e);
				}
			},
			() -> {
				// right key, non-finite values
				float[] nan = latents(5).mean();
				nan[3] = Float.NaN;
				writeCache(file, k, nan, latents(5).std(), new long[] {4, 2, 3});
			},
			() -> writeCache(file, k, latents(5).mean(), negate(latents(5).std()), new long[] {4, 2, 3}),
			() -> writeCache(file, k, new float[24], new float[24], new long[] {24}));
		int n = 0;
		for (Runnable d : damage) {
			c.put(k, latents(6));
			d.run();
			assertNull(c.get(k), "damage " + n);
			assertFalse(Files.exists(file), "damaged file deleted " + n);
			assertEquals(++n, c.stats().discarded());
			assertEquals(latents(7), c.getOrCompute(k, () -> latents(7)));
			assertEquals(latents(7), c.get(k), "recomputed and stored");
		}
	}

	private static float[] negate(float[] v) {
		float[] o = v.clone();
		o[0] = -1;
		return o;
	}

	private static void writeCache(Path file, LatentKey k, float[] mean, float[] std, long[] shape) {
		try {
			new SafetensorsWriter().metadata("diffusej.latent_key", k.description()).putFloats("mean", shape, mean)
				.putFloats("std", shape, std).write(file);
		}
		catch (IOException e) {
			throw new RuntimeException(e);
		}
	}

	private static void truncate(Path f) {
		try {
			byte[] b = Files.readAllBytes(f);
			Files.write(f, java.util.Arrays.copyOf(b, b.length - 10));
		}
		catch (IOException e) {
			throw new RuntimeException(e);
		}
	}

	private static void write(Path f, byte[] b) {
		try {
			Files.write(f, b);
		}
		catch (IOException e) {
			throw new RuntimeException(e);
		}
	}

	@Test
	void latentsAreChecked() {
		assertThrows(IllegalArgumentException.class, () -> new CachedLatents(new long[] {4, 2, 3}, new float[23], new float[24]));
		assertThrows(IllegalArgumentException.class, () -> new CachedLatents(new long[] {24}, new float[24], new float[24]));
		assertThrows(IllegalArgumentException.class, () -> LatentCache.inMemory(" "));
		assertThrows(IllegalArgumentException.class, () -> LatentKey.of("abc", Placement.centred(new ImageSize(8, 8),
			new Bucket(8, 8), false), VAE));
		CachedLatents l = latents(8);
		float[] z = l.sample(new float[24]);
		assertEquals(l.mean()[5], z[5], 0f);
	}
}
