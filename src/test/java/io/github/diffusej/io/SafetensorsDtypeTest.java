package io.github.diffusej.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.diffusej.testutil.ForkedJvm;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every dtype of the format and every type DJL 0.36 has: nothing that aborts the JVM (BF16, I16, U16, U32, U64,
 * UNKNOWN) ever reaches DJL; each dtype loads, widened in Java where needed, with exact values.
 */
class SafetensorsDtypeTest {

	@TempDir
	Path tmp;

	@Test
	void onlySafeTypesAreEverHandedToDjl() {
		for (Dtype d : Dtype.values()) {
			assertTrue(d.djlType() == null || Dtype.DJL_SAFE.contains(d.djlType()), d + " maps to " + d.djlType());
			assertTrue(Dtype.DJL_SAFE.contains(d.widened()), d + " widens to " + d.widened());
		}
		// the list of safe types was checked one JVM per type: these abort (exit 134) or mis-create arrays
		for (DataType t : List.of(DataType.BFLOAT16, DataType.INT16, DataType.UINT16, DataType.UINT32, DataType.UINT64,
			DataType.UNKNOWN, DataType.COMPLEX64, DataType.STRING))
			assertTrue(!Dtype.DJL_SAFE.contains(t), t + " must not be called safe");
		assertEquals(8, Dtype.DJL_SAFE.size());
	}

	@Test
	void unsafeTargetsAreRefusedBeforeDjlIsCalled() throws IOException {
		Path p = tmp.resolve("i16.safetensors");
		ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putShort((short) -3).putShort((short) 7).flip();
		new SafetensorsWriter().put("x", Dtype.I16, new long[] {2}, b).write(p);
		try (SafetensorsFile f = SafetensorsFile.open(p); NDManager m = NDManager.newBaseManager()) {
			for (DataType t : DataType.values()) {
				if (Dtype.DJL_SAFE.contains(t)) continue;
				SafetensorsException e = assertThrows(SafetensorsException.class, () -> f.load("x", m, t));
				assertTrue(e.getMessage().startsWith(p + ": tensor 'x' cannot be loaded as " + t), e.getMessage());
			}
			assertEquals(DataType.INT32, f.load("x", m).getDataType(), "I16 is widened to INT32 in Java");
			assertEquals(List.of(-3L, 7L), List.of(f.longs("x")[0], f.longs("x")[1]));
		}
	}

	@Test
	void everyDtypeLoadsInAChildJvm() throws Exception {
		ForkedJvm.Result r = ForkedJvm.run(DtypeProbe.class, 512, 300, tmp.resolve("probe").toString());
		String out = r.tail(40);
		assertEquals(0, r.exitCode(), "the probe JVM died (134 = a native abort):\n" + out);
		assertTrue(r.output().contains("DONE"), out);
		for (Dtype d : Dtype.values()) assertTrue(r.output().contains("OK " + d), d + ":\n" + out);
		assertTrue(r.output().stream().noneMatch(l -> l.startsWith("FAIL")), out);
	}

	@Test
	void eightBitFloatsDecodeExactly() {
		assertEquals(1f, HalfFloats.f8e4m3ToFloat((byte) 0x38));
		assertEquals(448f, HalfFloats.f8e4m3ToFloat((byte) 0x7e), "largest E4M3");
		assertTrue(Float.isNaN(HalfFloats.f8e4m3ToFloat((byte) 0x7f)));
		assertEquals(0x1p-9f, HalfFloats.f8e4m3ToFloat((byte) 0x01), "smallest E4M3 subnormal");
		assertEquals(-2f, HalfFloats.f8e4m3ToFloat((byte) 0xc0));
		assertEquals(57344f, HalfFloats.f8e5m2ToFloat((byte) 0x7b), "largest E5M2");
		assertEquals(Float.POSITIVE_INFINITY, HalfFloats.f8e5m2ToFloat((byte) 0x7c));
	}
}
