// CRIU's task states as core-PID.img records them (`tc.task_state`, compel's task states).

export const TASK_ALIVE = 1;
export const TASK_STOPPED = 3;
