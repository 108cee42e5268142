// @streamspace/agent-docker: the Docker platform's SessionDriver.
export { DockerSessionDriver, type DockerSessionDriverOptions } from "./docker-session-driver.ts"
export { DriverError, type DriverErrorCode } from "./errors.ts"
export { LABEL } from "./naming.ts"
