/** The drag payload's type from the palette: what the canvas accepts as "a new node of this kind". */
export const NODE_DRAG_TYPE = 'application/x-siamese-studio-node';
