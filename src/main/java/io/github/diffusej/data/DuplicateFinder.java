package io.github.diffusej.data;

import ij.process.ColorProcessor;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds exact duplicates (SHA-256 of the pixels and size) and near duplicates (64-bit difference hash, dHash:
 * the image shrunk to 9x8 grey, one bit per horizontal neighbour pair; near = Hamming distance within a
 * threshold). Images are added one at a time; each is compared with all earlier ones.
 */
public final class DuplicateFinder {

	/** Fingerprint of one image. */
	public record Fingerprint(String sha256, long dhash) {

		public String dhashHex() {
			return String.format("%016x", dhash);
		}
	}

	/** An image found to repeat an earlier one; distance 0 with exact = true for identical pixels. */
	public record Match(String id, String duplicateOf, boolean exact, int distance) {}

	private final int nearDistance;
	private final Map<String, String> exact = new HashMap<>();
	private final List<String> ids = new ArrayList<>();
	private final List<Long> hashes = new ArrayList<>();

	/** @param nearDistance largest Hamming distance counted as near duplicate, -1 for exact only */
	public DuplicateFinder(int nearDistance) {
		this.nearDistance = nearDistance;
	}

	/** Registers an image; returns the earlier image it duplicates, or null. Duplicates are not registered. */
	public Match add(String id, Fingerprint fp) {
		String same = exact.get(fp.sha256());
		if (same != null) return new Match(id, same, true, 0);
		if (nearDistance >= 0) {
			int best = Integer.MAX_VALUE;
			int bestIdx = -1;
			for (int i = 0; i < hashes.size(); i++) {
				int d = Long.bitCount(hashes.get(i) ^ fp.dhash());
				if (d < best) {
					best = d;
					bestIdx = i;
				}
			}
			if (bestIdx >= 0 && best <= nearDistance) return new Match(id, ids.get(bestIdx), false, best);
		}
		exact.put(fp.sha256(), id);
		ids.add(id);
		hashes.add(fp.dhash());
		return null;
	}

	public static Fingerprint fingerprint(ColorProcessor cp) {
		return new Fingerprint(sha256(cp), dhash(cp));
	}

	static String sha256(ColorProcessor cp) {
		try {
			MessageDigest md = MessageDigest.getInstance("SHA-256");
			int[] px = (int[]) cp.getPixels();
			ByteBuffer buf = ByteBuffer.allocate(8 + 4 * Math.min(px.length, 1 << 16));
			buf.putInt(cp.getWidth()).putInt(cp.getHeight());
			for (int p : px) {
				if (!buf.hasRemaining()) {
					md.update(buf.array(), 0, buf.position());
					buf.clear();
				}
				buf.putInt(p & 0xffffff);
			}
			md.update(buf.array(), 0, buf.position());
			return HexFormat.of().formatHex(md.digest());
		}
		catch (NoSuchAlgorithmException e) {
			throw new IllegalStateException("SHA-256 missing from this Java runtime", e);
		}
	}

	/** dHash over a 9x8 area-averaged luminance thumbnail. */
	public static long dhash(ColorProcessor cp) {
		int w = cp.getWidth();
		int h = cp.getHeight();
		int[] px = (int[]) cp.getPixels();
		double[] sum = new double[9 * 8];
		int[] cnt = new int[9 * 8];
		for (int y = 0; y < h; y++) {
			int ty = Math.min(7, y * 8 / h);
			for (int x = 0; x < w; x++) {
				int tx = Math.min(8, x * 9 / w);
				sum[ty * 9 + tx] += Tiler.luminance(px[y * w + x]);
				cnt[ty * 9 + tx]++;
			}
		}
		long bits = 0;
		for (int y = 0; y < 8; y++) {
			for (int x = 0; x < 8; x++) {
				double a = sum[y * 9 + x] / Math.max(1, cnt[y * 9 + x]);
				double b = sum[y * 9 + x + 1] / Math.max(1, cnt[y * 9 + x + 1]);
				bits = (bits << 1) | (a > b ? 1 : 0);
			}
		}
		return bits;
	}
}
