/**
 * `v-socket`: tells the connection plugin of a socket drawn inside its node
 * (CanvasNode.vue), so that wires are dragged from it. rete-vue-plugin's Ref
 * would make each socket a Vue app of its own (~900 for a 300-node
 * document); a directive costs no component at all. The signal is already
 * filled: nothing else renders into the element, and where wires end comes
 * from the node's geometry (socket-positions.ts), not from measuring it.
 */
import type { ClassicPreset } from 'rete';
import type { Directive } from 'vue';

export interface SocketSignal {
  nodeId: string;
  side: 'input' | 'output';
  key: string;
  socket: ClassicPreset.Socket;
  emit: (signal: unknown) => void;
}

export const vSocket: Directive<HTMLElement, SocketSignal> = {
  mounted(element, { value: { nodeId, side, key, socket, emit } }) {
    emit({ type: 'render', data: { type: 'socket', side, key, nodeId, payload: socket, element, filled: true } });
  },
  beforeUnmount(element, { value }) {
    value.emit({ type: 'unmount', data: { element } });
  },
};
