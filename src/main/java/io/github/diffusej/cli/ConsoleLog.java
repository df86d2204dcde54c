package io.github.diffusej.cli;

import java.io.PrintStream;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The SLF4J provider of the command line: errors of the libraries (DJL) as one line each on stderr; their
 * warnings, info and debug messages only with {@code --debug}. DJL warns on every start about CUDA probes on
 * machines without a usable GPU; DiffuseJ's own engine line already says what the device is and warns when a GPU
 * goes unused, so the console stays quiet by default. {@link Main#main} selects it with the {@code slf4j.provider} system property;
 * it is not registered as a service, so in Fiji the application's own logging stays in charge and no second
 * provider appears on its class path.
 */
public final class ConsoleLog implements SLF4JServiceProvider {

	/** Whether warnings, info and debug messages are shown too. */
	static volatile boolean debug;

	private final IMarkerFactory markers = new BasicMarkerFactory();
	private final MDCAdapter mdc = new NOPMDCAdapter();
	private final ILoggerFactory factory = ConsoleLogger::new;

	@Override
	public ILoggerFactory getLoggerFactory() {
		return factory;
	}

	@Override
	public IMarkerFactory getMarkerFactory() {
		return markers;
	}

	@Override
	public MDCAdapter getMDCAdapter() {
		return mdc;
	}

	@Override
	public String getRequestedApiVersion() {
		return "2.0.99";
	}

	@Override
	public void initialize() {}

	/** One line per message: "diffusej: warning (ai.djl.util.Platform): ...". */
	static final class ConsoleLogger extends LegacyAbstractLogger implements Logger {

		private static final long serialVersionUID = 1L;

		ConsoleLogger(String name) {
			this.name = name;
		}

		@Override
		public boolean isTraceEnabled() {
			return false;
		}

		@Override
		public boolean isDebugEnabled() {
			return debug;
		}

		@Override
		public boolean isInfoEnabled() {
			return debug;
		}

		@Override
		public boolean isWarnEnabled() {
			return debug;
		}

		@Override
		public boolean isErrorEnabled() {
			return true;
		}

		@Override
		protected String getFullyQualifiedCallerName() {
			return null;
		}

		@Override
		protected void handleNormalizedLoggingCall(Level level, Marker marker, String messagePattern, Object[] args,
			Throwable throwable)
		{
			String text = MessageFormatter.basicArrayFormat(messagePattern, args);
			PrintStream err = System.err;
			err.println("diffusej: " + level.toString().toLowerCase(java.util.Locale.ROOT) + " (" + name + "): " +
				Main.oneLine(text) + (throwable == null ? "" : " [" + throwable + "]"));
			if (throwable != null && debug) throwable.printStackTrace(err);
		}
	}
}
